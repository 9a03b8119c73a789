import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransformObject, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { DbHandle } from './db/client.js';
import { openDatabase, type Database } from './db/database.js';
import { registerAuth } from './http/auth.js';
import { registerErrorHandler } from './http/error-handler.js';
import { registerCors, registerHttpCache } from './http/cache.js';
import { registerIdempotency } from './http/idempotency.js';
import { registerProtections, serverOptions, type FrontDoorSlot } from './http/protections.js';
import { registerRequestContext, requestIdOf } from './http/request-context.js';
import { createResponseCache, frontDoor } from './http/response-cache.js';
import { serializerCompiler } from './http/serializer.js';
import { validatorCompiler } from './http/validator.js';
import { openapiOptions, openapiTransform, finishDocument } from './http/openapi.js';
import apiKeyRoutes from './modules/api-keys/routes.js';
import auditRoutes from './modules/audit/routes.js';
import articleRoutes from './modules/articles/routes.js';
import revisionRoutes from './modules/articles/revision-routes.js';
import authorRoutes from './modules/authors/routes.js';
import disclaimerRoutes, { articleDisclaimerRoutes } from './modules/disclaimers/routes.js';
import feedRoutes from './modules/feeds/routes.js';
import mediaRoutes from './modules/media/routes.js';
import opsRoutes from './modules/ops/routes.js';
import relatedLinkRoutes from './modules/related-links/routes.js';
import searchRoutes from './modules/search/routes.js';
import sectionRoutes from './modules/sections/routes.js';
import tagRoutes from './modules/tags/routes.js';
import { registerWebhookDispatcher, type DispatcherOptions } from './modules/webhooks/dispatcher.js';
import webhookRoutes from './modules/webhooks/routes.js';
import { createServices, type Services } from './services.js';
import { loggerOptions } from './logger.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    services: Services;
    /** The clock every rule reads (tests inject their own). */
    clock: () => Date;
    /** True when the database answers. */
    ping: () => Promise<boolean>;
    db: Database;
  }
}

export type AppOptions = {
  now?: () => Date;
  db?: DbHandle;
  /** Run the webhook dispatcher (default true); false leaves deliveries queued in the outbox. */
  startDispatcher?: boolean;
  /** Dispatcher tuning (tests: a small backoff base, few attempts). */
  dispatcher?: Partial<DispatcherOptions>;
  /** Where log lines go instead of stdout (tests that read the logs). */
  logStream?: { write(line: string): void };
};

/** Builds the whole application; never listens. Tests, the OpenAPI export and production share it. */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  // Filled in once the response cache is wired: its hits are answered before Fastify (src/http/response-cache.ts).
  const door: FrontDoorSlot = {};
  const app = Fastify({
    logger: loggerOptions(config, options.logStream),
    // JSON bodies; uploads have their own limit (MEDIA_MAX_BYTES). Timeouts and trustProxy: src/http/protections.ts.
    bodyLimit: 1024 * 1024,
    ...serverOptions(config, door),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    genReqId: requestIdOf,
    ajv: undefined,
  }).withTypeProvider<ZodTypeProvider>();

  // Fastify parses text/plain bodies by default; the API takes JSON (and multipart for uploads), so any
  // other type is a 415, not a string that then fails validation with a 400.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const database = await openDatabase(config, options.db, (message) => app.log.warn(message));
  const clock = options.now ?? (() => new Date());
  const services = createServices(database, config, clock);
  if (config.adminApiKey && (await services.apiKeys.ensureBootstrapAdmin(config.adminApiKey))) {
    app.log.info('created the admin API key from ADMIN_API_KEY');
  }

  const responseCache = config.responseCache
    ? createResponseCache({
      maxBytes: config.responseCacheMaxBytes, ttlSeconds: config.responseCacheTtlSeconds, clock,
      dataVersion: database.dataVersion,
      sourcesOf: (id) => services.relatedLinks.sourcesOf(id),
      nextPublicationAfter: (now) => services.articles.nextPublicationAfter(now),
    })
    : undefined;
  if (responseCache) services.journal.onRecord.push((w) => responseCache.invalidate(w));

  app.decorate('config', config);
  app.decorate('services', services);
  app.decorate('clock', clock);
  app.decorate('db', database);
  app.decorate('ping', () => database.ping());
  app.addHook('onClose', async () => database.close());
  // After the database hook: onClose hooks run in reverse, so the dispatcher stops before the database closes.
  registerWebhookDispatcher(app, options.startDispatcher ?? true, options.dispatcher);
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });

  registerErrorHandler(app);
  // Before auth and before any route: headers, load shedding, rate limits (order explained there).
  const guards = await registerProtections(app, config);
  registerRequestContext(app);
  await registerCors(app, config);
  registerAuth(app, services.apiKeys.authenticate);
  registerIdempotency(app, database.dialect, config.idempotencyTtlHours, services);
  await registerHttpCache(app, config, responseCache);
  if (responseCache) door.serve = frontDoor(responseCache, { ...guards, requestId: requestIdOf, log: app.log });

  await app.register(swagger, { openapi: openapiOptions(), transform: openapiTransform, transformObject: (doc) => finishDocument(jsonSchemaTransformObject(doc) as never) });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Multipart is parsed only by the routes that ask for it (media upload), with their own limits.
  await app.register(multipart, { limits: { fileSize: config.mediaMaxBytes, files: 1, fields: 20, parts: 25 } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // The route table.
  await app.register(opsRoutes);
  await app.register(articleRoutes, { prefix: '/v1/articles' });
  await app.register(revisionRoutes, { prefix: '/v1/articles' });
  await app.register(articleDisclaimerRoutes, { prefix: '/v1/articles' });
  await app.register(relatedLinkRoutes, { prefix: '/v1/articles' });
  await app.register(authorRoutes, { prefix: '/v1/authors' });
  await app.register(sectionRoutes, { prefix: '/v1/sections' });
  await app.register(tagRoutes, { prefix: '/v1/tags' });
  await app.register(disclaimerRoutes, { prefix: '/v1/disclaimers' });
  await app.register(mediaRoutes, { prefix: '/v1/media' });
  // Feeds and sitemaps: /v1/feeds/{rss,atom,json}, /v1/sitemap.xml, /v1/sitemap-news.xml.
  await app.register(feedRoutes, { prefix: '/v1' });
  await app.register(searchRoutes, { prefix: '/v1/search' });
  await app.register(apiKeyRoutes, { prefix: '/v1/api-keys' });
  await app.register(auditRoutes, { prefix: '/v1/audit' });
  await app.register(webhookRoutes, { prefix: '/v1/webhooks' });

  return app;
}
