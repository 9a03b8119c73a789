import { z } from 'zod';
import { IdSchema, listOf, PagingQuery, TimestampSchema } from '../../http/schemas.js';

export const RESOURCES = ['article', 'media', 'disclaimer', 'author', 'section', 'tag', 'api-key', 'webhook'] as const;

export const AuditEntrySchema = z
  .object({
    id: IdSchema.meta({ description: 'The entry id (ULID).' }),
    at: TimestampSchema.meta({ description: 'When the write was committed (RFC 3339, UTC).' }),
    actor: z
      .object({
        keyId: z.string().nullable().meta({ description: 'The id of the API key; null for system writes.' }),
        name: z.string().nullable().meta({ description: 'The key\'s name at the time; null for system writes.', example: 'Newsroom editor app' }),
        role: z.string().nullable().meta({ description: 'The key\'s role at the time (`editor` or `admin`); null for system writes.', example: 'editor' }),
      })
      .meta({ description: 'The API key that made the change (all null for system writes such as the demo seed).' }),
    resource: z.enum(RESOURCES).meta({ description: 'The kind of resource written.' }),
    resourceId: z.string().meta({ description: 'The id of the resource written.' }),
    action: z.string().meta({ description: 'created, updated, published, unpublished, deleted, restored, purged, revoked…', example: 'published' }),
    revision: z.number().int().nullable().meta({ description: 'The article revision the write produced.' }),
    requestId: z.string().nullable().meta({ description: 'The request id (also in the logs).' }),
  })
  .meta({ id: 'AuditEntry', description: 'One write: who, what and when. Never carries a secret.' });

export const AuditListSchema = listOf(AuditEntrySchema, 'AuditList', 'A page of audit entries, newest first.');

export const AuditQuerySchema = z.strictObject({
  ...PagingQuery,
  resource: z.enum(RESOURCES).optional().meta({ description: 'Only writes to this kind of resource.' }),
  resourceId: z.string().max(64).optional().meta({ description: 'Only writes to this resource (an id).' }),
  action: z.string().max(40).optional().meta({ description: 'Only this action (`created`, `updated`, `published`, `deleted`…).', example: 'published' }),
  actorKeyId: z.string().max(64).optional().meta({ description: 'Only writes made with this API key (its id).' }),
  since: TimestampSchema.optional().meta({ description: 'Entries at or after this time.' }),
  until: TimestampSchema.optional().meta({ description: 'Entries before this time.' }),
});
