import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendPage } from '../../http/pagination.js';
import { IdParamsSchema, PagingQuery, ProblemSchema, SlugSchema } from '../../http/schemas.js';
import type { Services } from '../../services.js';
import type { SluggedService } from './slugged-service.js';

type Keyed = { id: string; slug: string; name: string; createdAt: string; updatedAt: string };

/** Routes without query parameters still reject unknown ones (the contract: unknown query parameters → 400). */
const NoQuery = z.strictObject({});

export type SluggedRoutesOptions<Row extends Keyed> = {
  /** OpenAPI tag and URL segment, e.g. "tags". */
  plural: string;
  /** Singular name for operation ids and messages, e.g. "Tag". */
  singular: string;
  Item: z.ZodType;
  List: z.ZodType;
  Create: z.ZodType;
  Patch: z.ZodType;
  service: (services: Services) => SluggedService<Row>;
};

/**
 * The route table of a taxonomy resource (authors, sections, tags): list, create, read by id or slug,
 * patch, delete. Reads are public; writes need an editor key.
 */
export function sluggedRoutes<Row extends Keyed>(o: SluggedRoutesOptions<Row>): FastifyPluginAsyncZod {
  const { singular: one, plural: many } = o;
  return async (app) => {
    const service = o.service(app.services);
    const tags = [many];

    app.get('/', {
      schema: {
        operationId: `list${one}s`, tags, summary: `List ${many}`,
        description: `All ${many}, ordered by name, with keyset paging.`,
        querystring: z.strictObject(PagingQuery),
        response: { 200: o.List, 400: ProblemSchema },
      },
    }, async (request, reply) => {
      const { rows, total, nextCursor } = await service.list(request.query.limit, request.query.cursor);
      return sendPage(request, reply, rows, request.query.limit, total, nextCursor);
    });

    app.post('/', {
      config: { role: 'editor' },
      schema: {
        operationId: `create${one}`, tags, summary: `Create a ${one.toLowerCase()}`,
        description: `Creates a ${one.toLowerCase()}. The slug is derived from the name when omitted; an explicit slug that is taken answers 409.`,
        querystring: NoQuery,
        body: o.Create,
        response: { 201: o.Item, 400: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema },
      },
    }, async (request, reply) => {
      const row = await service.create(request.body as Row);
      return reply.code(201).header('location', `/v1/${many}/${row.id}`).send(row);
    });

    app.get('/:id', {
      schema: {
        operationId: `get${one}`, tags, summary: `Get a ${one.toLowerCase()}`,
        description: `One ${one.toLowerCase()} by id.`,
        querystring: NoQuery,
        params: IdParamsSchema,
        response: { 200: o.Item, 400: ProblemSchema, 404: ProblemSchema },
      },
    }, async (request) => service.get(request.params.id));

    app.get('/by-slug/:slug', {
      schema: {
        operationId: `get${one}BySlug`, tags, summary: `Get a ${one.toLowerCase()} by slug`,
        description: `One ${one.toLowerCase()} by its slug.`,
        querystring: NoQuery,
        params: z.strictObject({ slug: SlugSchema }),
        response: { 200: o.Item, 400: ProblemSchema, 404: ProblemSchema },
      },
    }, async (request) => service.getBySlug(request.params.slug));

    app.patch('/:id', {
      config: { role: 'editor' },
      schema: {
        operationId: `update${one}`, tags, summary: `Update a ${one.toLowerCase()}`,
        description: 'Partial update (merge-patch: absent = unchanged, null = clear).',
        querystring: NoQuery,
        params: IdParamsSchema,
        body: o.Patch,
        response: { 200: o.Item, 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema },
      },
    }, async (request) => service.update(request.params.id, request.body as Partial<Row>));

    app.delete('/:id', {
      config: { role: 'editor' },
      schema: {
        operationId: `delete${one}`, tags, summary: `Delete a ${one.toLowerCase()}`,
        description: `Deletes the ${one.toLowerCase()}; answers 409 while articles still reference it.`,
        querystring: NoQuery,
        params: IdParamsSchema,
        response: { 204: z.null().meta({ description: 'Deleted.' }), 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
    }, async (request, reply) => {
      await service.delete(request.params.id);
      return reply.code(204).send(null);
    });
  };
}
