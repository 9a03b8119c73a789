import { z } from 'zod';
import { IdSchema, listOf, PagingQuery, TimestampSchema } from '../../http/schemas.js';

export const RESOURCES = ['article', 'media', 'disclaimer', 'author', 'section', 'tag', 'api-key', 'webhook'] as const;

export const AuditEntrySchema = z
  .object({
    id: IdSchema,
    at: TimestampSchema,
    actor: z
      .object({ keyId: z.string().nullable(), name: z.string().nullable(), role: z.string().nullable() })
      .meta({ description: 'The API key that made the change (all null for system writes such as the demo seed).' }),
    resource: z.enum(RESOURCES),
    resourceId: z.string(),
    action: z.string().meta({ description: 'created, updated, published, unpublished, deleted, restored, purged, revoked…', example: 'published' }),
    revision: z.number().int().nullable().meta({ description: 'The article revision the write produced.' }),
    requestId: z.string().nullable().meta({ description: 'The request id (also in the logs).' }),
  })
  .meta({ id: 'AuditEntry', description: 'One write: who, what and when. Never carries a secret.' });

export const AuditListSchema = listOf(AuditEntrySchema, 'AuditList', 'A page of audit entries, newest first.');

export const AuditQuerySchema = z.strictObject({
  ...PagingQuery,
  resource: z.enum(RESOURCES).optional(),
  resourceId: z.string().max(64).optional(),
  action: z.string().max(40).optional(),
  actorKeyId: z.string().max(64).optional(),
  since: TimestampSchema.optional().meta({ description: 'Entries at or after this time.' }),
  until: TimestampSchema.optional().meta({ description: 'Entries before this time.' }),
});
