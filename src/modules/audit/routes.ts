import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { decodeCursor, encodeCursor, sendPage } from '../../http/pagination.js';
import { ProblemSchema } from '../../http/schemas.js';
import { AuditListSchema, AuditQuerySchema } from './schemas.js';

/** The audit trail, for admins. */
const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  const repo = app.services.auditLog;

  app.get('/', {
    config: { role: 'admin' },
    schema: {
      operationId: 'listAudit', tags: ['audit'], summary: 'List audit entries',
      description: 'Every write with who (key id, name, role), what (resource, id, action, revision) and when; newest first; filter by resource, id, action, key and time.',
      querystring: AuditQuerySchema,
      response: { 200: AuditListSchema, 400: ProblemSchema },
    },
  }, async (request, reply) => {
    const { limit, cursor, ...filter } = request.query;
    const after = decodeCursor(cursor, 'at');
    const rows = await repo.listAudit(filter, limit + 1, after ? { key: String(after.key), id: after.id } : undefined);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const data = page.map((r) => ({
      id: r.id, at: r.at, resource: r.resource as never, resourceId: r.resourceId, action: r.action, revision: r.revision, requestId: r.requestId,
      actor: { keyId: r.actorKeyId, name: r.actorName, role: r.actorRole },
    }));
    return sendPage(request, reply, data, limit, await repo.countAudit(filter), rows.length > limit && last ? encodeCursor('at', last.at, last.id) : null);
  });
};

export default auditRoutes;
