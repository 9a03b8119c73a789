import { z } from 'zod';

/** Shapes shared by every resource: problem+json, ids, timestamps, paging. */

export const ProblemSchema = z
  .object({
    type: z.string().meta({
      description: 'A URI naming the problem type: `https://broadsheet.dev/problems/` followed by `code`.',
      example: 'https://broadsheet.dev/problems/validation-failed',
    }),
    title: z.string().meta({ description: 'The HTTP status phrase (`Bad Request`, `Not Found`…): the same for every problem with this status.', example: 'Bad Request' }),
    status: z.number().int().min(400).max(599).meta({ description: 'The HTTP status code, repeated from the response.', example: 400 }),
    detail: z.string().meta({
      description: 'What went wrong with this request, in English, for a human. Never carries internals: a 500 says only that the error was logged with the request id.',
      example: 'The request body is invalid',
    }),
    instance: z.string().meta({
      description: 'The request path (without the query string), `#`, and the request id (also sent as `X-Request-Id` and written to the server log): quote it when reporting a problem.',
      example: '/v1/articles#3f6c1a52-8d4e-4b7a-9c21-5e0f2a7b9d14',
    }),
    code: z.string().meta({
      description: 'Stable machine-readable code, also the last segment of `type` (`validation-failed`, `not-found`, `slug-taken`, `version-mismatch`, `rate-limited`…). Branch on it, never on `detail`.',
      example: 'validation-failed',
    }),
    errors: z
      .array(
        z.object({
          pointer: z.string().meta({ description: 'JSON Pointer into the request: /body/..., /query/..., /params/..., /headers/...', example: '/body/headline' }),
          message: z.string().meta({ description: 'What is wrong with the value at `pointer`, for a human.', example: 'Too small: expected string to have >=1 characters' }),
          code: z.string().meta({
            description: 'Machine-readable reason: a validation issue code (`too_small`, `too_big`, `invalid_type`, `invalid_value`, `invalid_format`, `custom`) or a Broadsheet code (`unknown-field`, `unknown-reference`, `slug-taken`, `stale`…).',
            example: 'too_small',
          }),
        }),
      )
      .optional()
      .meta({ description: 'One entry per value the problem can be pinned to (validation errors, taken slugs, unknown references, a stale If-Match); absent otherwise.' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (`application/problem+json`): the body of every 4xx and 5xx answer.' });

export const IdSchema = z.string().min(1).max(64).meta({ description: 'Opaque id (ULID).', example: '01JD3Q8Z6V0R8Y5M2K1N4P7S9T' });
export const IdParamsSchema = z.strictObject({ id: IdSchema });
export const TimestampSchema = z.iso.datetime().meta({ description: 'RFC 3339 UTC time.', example: '2018-01-10T09:00:00.000Z' });
export const SlugSchema = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'slugs are lowercase letters and digits separated by single hyphens')
  .meta({ description: 'URL-safe unique name.', example: 'korea-crisis' });

export const PageSchema = z
  .object({
    limit: z.number().int().min(1).max(100).meta({ description: 'The page size used: the `limit` parameter (default 20).' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` to get the next page; null on the last page.' }),
    total: z.number().int().meta({ description: 'Number of items matching the filters (all pages).' }),
  })
  .meta({ id: 'Page', description: 'Paging information of a list.' });

export const PagingQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Page size, 1..100.' }),
  cursor: z.string().max(512).optional().meta({ description: 'Opaque cursor from `page.nextCursor`.' }),
};

export const listOf = <T extends z.ZodType>(item: T, id: string, description: string) =>
  z
    .object({
      data: z.array(item).meta({ description: 'The items of this page, in list order (at most `page.limit`).' }),
      page: PageSchema.meta({ description: 'Where this page stands: its size, the cursor of the next one and the total.' }),
    })
    .meta({ id, description });
