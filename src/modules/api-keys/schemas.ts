import { z } from 'zod';
import { IdSchema, listOf, TimestampSchema } from '../../http/schemas.js';

export const RoleSchema = z.enum(['editor', 'admin']).meta({ id: 'Role', description: '`admin` can do everything `editor` can, plus keys and permanent deletes.' });

export const ApiKeySchema = z
  .object({
    id: IdSchema.meta({ description: 'The key id (ULID): what audit entries and `DELETE /v1/api-keys/{id}` name.' }),
    name: z.string().meta({ description: 'What the key is for, as given at creation.', example: 'Newsroom editor app' }),
    role: RoleSchema.meta({ description: 'What the key may do: `editor` (editorial work, drafts) or `admin` (also keys, webhooks, the audit trail, deleting disclaimers, permanent deletes).' }),
    prefix: z.string().meta({ description: 'The first characters of the secret, to recognise it.', example: 'bsk_Xq3v9LmA' }),
    createdAt: TimestampSchema.meta({ description: 'When the key was created (RFC 3339, UTC).' }),
    lastUsedAt: TimestampSchema.nullable().meta({ description: 'The last request authenticated with the key; null if it was never used.' }),
  })
  .meta({ id: 'ApiKey', description: 'An API key, without its secret.' });

export const CreatedApiKeySchema = ApiKeySchema.extend({
  secret: z.string().meta({
    description: 'The bearer secret (`bsk_…`): send it as `Authorization: Bearer <secret>`. Shown only in this response (an Idempotency-Key replay omits it); only its hash is stored.',
    example: 'bsk_Xq3v9LmA7pQ2rT8wZ4yB6nC1dE5fG0hJ3kM9sV2uX7',
  }),
}).meta({ id: 'CreatedApiKey', description: 'A new API key with its secret (shown once).' });

export const NewApiKeySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).meta({ description: 'What the key is for (1..100 characters), shown in lists and in the audit trail.', example: 'Newsroom editor app' }),
    role: RoleSchema.meta({ description: 'The role the key gets: `editor` for editorial tools, `admin` for administration.' }),
  })
  .meta({ id: 'NewApiKey', description: 'A key to create.' });

export const ApiKeyListSchema = listOf(ApiKeySchema, 'ApiKeyList', 'A page of active API keys.');
