import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { ProblemSchema } from '../../http/schemas.js';

const tags = ['ops'];
const Status = z.object({ status: z.literal('ok').meta({ description: 'Always `ok`: any other state is an error status.' }) }).meta({ id: 'HealthStatus', description: 'The check passed.' });

/** Liveness and readiness for orchestrators and load balancers. */
const opsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/health', {
    config: { responseCache: false },
    schema: { operationId: 'health', tags, summary: 'Liveness', description: 'The process is up.', response: { 200: Status } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/ready', {
    config: { responseCache: false },
    schema: { operationId: 'ready', tags, summary: 'Readiness', description: 'The database answers.', response: { 200: Status, 503: ProblemSchema } },
  }, async () => {
    if (!(await app.ping())) throw new AppError(503, 'not-ready', 'The database does not answer');
    return { status: 'ok' as const };
  });
};

export default opsRoutes;
