import { ConfigError, loadConfig } from './config.js';

// The configuration is read before the application is imported: a bad variable is reported and the process exits
// in the time it takes to start Node, not after loading every plugin, driver and route.
let config;
try {
  config = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  throw e;
}

const [{ default: closeWithGrace }, { buildApp }, { seedDemoIfEmpty }] = await Promise.all([
  import('close-with-grace'),
  import('./app.js'),
  import('./cli/seed.js'),
]);

const app = await buildApp(config);
if (config.seedDemo) await seedDemoIfEmpty(app);

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after an error');
  else app.log.info({ signal }, 'shutting down');
  await app.close();
});

await app.listen({ port: config.port, host: config.host });
