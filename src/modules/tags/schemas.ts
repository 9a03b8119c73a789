import { z } from 'zod';
import { IdSchema, listOf, SlugSchema, TimestampSchema } from '../../http/schemas.js';

const name = z.string().trim().min(1).max(100).meta({ description: 'The tag as shown to readers and in JSON-LD `keywords` (1..100 characters).', example: 'Korean Peninsula' });

export const TagSchema = z
  .object({
    id: IdSchema.meta({ description: 'The tag id (ULID): what `tagIds` of an article name.' }),
    slug: SlugSchema.meta({ description: 'The URL name, unique among tags: the `tag` filter of lists and feeds takes it.', example: 'korean-peninsula' }),
    name,
    createdAt: TimestampSchema.meta({ description: 'When the tag was created (RFC 3339, UTC).' }),
    updatedAt: TimestampSchema.meta({ description: 'The last change (RFC 3339, UTC); part of the `ETag`.' }),
  })
  .meta({ id: 'Tag', description: 'A free-form topic label.', example: { id: '01JD3Q8Z6V0R8Y5M2K1N4P7S9T', slug: 'korean-peninsula', name: 'Korean Peninsula', createdAt: '2018-01-10T09:00:00.000Z', updatedAt: '2018-01-10T09:00:00.000Z' } });
export const TagListSchema = listOf(TagSchema, 'TagList', 'A page of tags.');
export const NewTagSchema = z
  .strictObject({ name, slug: SlugSchema.optional().meta({ description: 'The URL name; derived from the name when omitted. A taken slug answers 409.' }) }).meta({ id: 'NewTag', description: 'A tag to create.' });
export const TagPatchSchema = z
  .strictObject({ name: name.optional(), slug: SlugSchema.optional().meta({ description: 'A new URL name; a taken slug answers 409.' }) }).meta({ id: 'TagPatch', description: 'Changes to a tag.' });
