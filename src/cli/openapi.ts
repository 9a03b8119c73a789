import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../app.js';
import { testConfig } from '../config.js';

/** `npm run openapi`: writes the document generated from the Zod schemas to openapi/openapi.json. */
export async function generateOpenApi(): Promise<string> {
  const app = await buildApp(testConfig());
  await app.ready();
  const text = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  await app.close();
  return text;
}

export const openapiPath = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(openapiPath, await generateOpenApi());
  process.stdout.write(`wrote ${openapiPath}\n`);
}
