import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors.js';
import type { Principal, Role } from '../modules/api-keys/service.js';
import { ProblemSchema } from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The least role a route needs; absent = anyone (anonymous callers see live content only). */
    role?: Role;
  }
}

const RANK: Record<Role, number> = { editor: 1, admin: 2 };

export const hasRole = (p: Principal | null, role: Role) => p !== null && RANK[p.role] >= RANK[role];

export const isAnonymous = (request: FastifyRequest) => request.principal === null;

/**
 * Bearer API keys. A route states the role it needs in `config.role`; this one mechanism enforces it,
 * documents it in the OpenAPI `security` of the route and adds the 401/403 responses.
 */
export function registerAuth(app: FastifyInstance, authenticate: (secret: string) => Promise<Principal | undefined>) {
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs') || !route.schema) return;
    const role = route.config?.role;
    const schema = route.schema as Record<string, unknown> & { response?: Record<string, unknown> };
    // OpenAPI 3.1 lets a non-OAuth requirement name the roles it needs: the document states each route's least role.
    schema.security = role ? [{ bearerAuth: [role] }] : [{}, { bearerAuth: [] }];
    schema.response = { ...(schema.response ?? {}), 401: ProblemSchema, ...(role ? { 403: ProblemSchema } : {}) };
    // Unknown query parameters are a 400 everywhere, also on routes that take none.
    if (!schema.querystring) schema.querystring = z.strictObject({});
  });

  const authorize = (request: FastifyRequest) => {
    const role = request.routeOptions.config?.role;
    if (role) {
      if (!request.principal) throw unauthorized();
      if (!hasRole(request.principal, role)) throw forbidden(`This operation needs the ${role} role`);
    }
  };
  // A callback hook, not an async one: an anonymous read (most requests) costs no promise here.
  app.addHook('onRequest', (request, _reply, done) => {
    const header = request.headers.authorization;
    if (header === undefined) {
      try {
        authorize(request);
      } catch (err) {
        return done(err as Error);
      }
      return done();
    }
    const secret = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    (secret ? authenticate(secret) : Promise.resolve(undefined)).then((principal) => {
      if (!principal) throw unauthorized();
      request.principal = principal;
      authorize(request);
    }).then(() => done(), done);
  });
}
