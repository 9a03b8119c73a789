import { z } from 'zod';
import { IdSchema, listOf, SlugSchema, TimestampSchema } from '../../http/schemas.js';

const name = z.string().trim().min(1).max(100).meta({ example: 'Korean Peninsula' });

export const TagSchema = z
  .object({ id: IdSchema, slug: SlugSchema, name, createdAt: TimestampSchema, updatedAt: TimestampSchema })
  .meta({ id: 'Tag', description: 'A free-form topic label.', example: { id: '01JD3Q8Z6V0R8Y5M2K1N4P7S9T', slug: 'korean-peninsula', name: 'Korean Peninsula', createdAt: '2018-01-10T09:00:00.000Z', updatedAt: '2018-01-10T09:00:00.000Z' } });
export const TagListSchema = listOf(TagSchema, 'TagList', 'A page of tags.');
export const NewTagSchema = z.strictObject({ name, slug: SlugSchema.optional() }).meta({ id: 'NewTag', description: 'A tag to create.' });
export const TagPatchSchema = z.strictObject({ name: name.optional(), slug: SlugSchema.optional() }).meta({ id: 'TagPatch', description: 'Changes to a tag.' });
