import { z } from 'zod';
import { HttpUrlSchema } from '../../content/blocks.js';
import { IdSchema, listOf, SlugSchema, TimestampSchema } from '../../http/schemas.js';

const name = z.string().trim().min(1).max(200).meta({ example: 'Seraphim Hanisch' });
const bio = z.string().max(5000).meta({ description: 'Short biography, plain text.' });

export const AuthorSchema = z
  .object({
    id: IdSchema, slug: SlugSchema, name,
    bio: bio.nullable(), url: HttpUrlSchema.nullable(), imageMediaId: IdSchema.nullable(),
    createdAt: TimestampSchema, updatedAt: TimestampSchema,
  })
  .meta({ id: 'Author', description: 'A person credited on articles.' });
export const AuthorListSchema = listOf(AuthorSchema, 'AuthorList', 'A page of authors.');
export const NewAuthorSchema = z
  .strictObject({ name, slug: SlugSchema.optional(), bio: bio.optional(), url: HttpUrlSchema.optional(), imageMediaId: IdSchema.optional() })
  .meta({ id: 'NewAuthor', description: 'An author to create.' });
export const AuthorPatchSchema = z
  .strictObject({ name: name.optional(), slug: SlugSchema.optional(), bio: bio.nullable().optional(), url: HttpUrlSchema.nullable().optional(), imageMediaId: IdSchema.nullable().optional() })
  .meta({ id: 'AuthorPatch', description: 'Changes to an author (null clears a field).' });
