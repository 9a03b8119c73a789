import { z } from 'zod';
import { IdSchema, listOf, TimestampSchema } from '../../http/schemas.js';

export const RoleSchema = z.enum(['editor', 'admin']).meta({ id: 'Role', description: '`admin` can do everything `editor` can, plus keys and permanent deletes.' });

export const ApiKeySchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    role: RoleSchema,
    prefix: z.string().meta({ description: 'The first characters of the secret, to recognise it.', example: 'bsk_Xq3v9LmA' }),
    createdAt: TimestampSchema,
    lastUsedAt: TimestampSchema.nullable(),
  })
  .meta({ id: 'ApiKey', description: 'An API key, without its secret.' });

export const CreatedApiKeySchema = ApiKeySchema.extend({
  secret: z.string().meta({ description: 'The bearer secret. Shown only in this response; only its hash is stored.' }),
}).meta({ id: 'CreatedApiKey', description: 'A new API key with its secret (shown once).' });

export const NewApiKeySchema = z
  .strictObject({ name: z.string().trim().min(1).max(100).meta({ example: 'Newsroom editor app' }), role: RoleSchema })
  .meta({ id: 'NewApiKey', description: 'A key to create.' });

export const ApiKeyListSchema = listOf(ApiKeySchema, 'ApiKeyList', 'A page of active API keys.');
