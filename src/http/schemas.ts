import { z } from 'zod';

/** Shapes shared by every resource: problem+json, ids, timestamps, paging. */

export const ProblemSchema = z
  .object({
    type: z.string().meta({ description: 'A URI naming the problem type.', example: 'https://broadsheet.dev/problems/validation-failed' }),
    title: z.string().meta({ description: 'Short summary of the status.', example: 'Bad Request' }),
    status: z.number().int().meta({ example: 400 }),
    detail: z.string().meta({ description: 'What went wrong, for a human.', example: 'The request is invalid' }),
    instance: z.string().meta({ description: 'The request path and the request id.', example: '/v1/articles#req-1' }),
    code: z.string().meta({ description: 'Stable machine-readable code.', example: 'validation-failed' }),
    errors: z
      .array(
        z.object({
          pointer: z.string().meta({ description: 'JSON Pointer into the request: /body/..., /query/..., /params/..., /headers/...', example: '/body/headline' }),
          message: z.string(),
          code: z.string(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

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
    limit: z.number().int(),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` to get the next page; null on the last page.' }),
    total: z.number().int().meta({ description: 'Number of items matching the filters (all pages).' }),
  })
  .meta({ id: 'Page', description: 'Paging information of a list.' });

export const PagingQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Page size, 1..100.' }),
  cursor: z.string().max(512).optional().meta({ description: 'Opaque cursor from `page.nextCursor`.' }),
};

export const listOf = <T extends z.ZodType>(item: T, id: string, description: string) =>
  z.object({ data: z.array(item), page: PageSchema }).meta({ id, description });
