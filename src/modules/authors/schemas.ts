import { z } from 'zod';
import { HttpUrlSchema } from '../../content/blocks.js';
import { IdSchema, listOf, SlugSchema, TimestampSchema } from '../../http/schemas.js';

const name = z.string().trim().min(1).max(200).meta({ description: 'The name as credited in bylines (1..200 characters).', example: 'Seraphim Hanisch' });
const bio = z.string().max(5000).meta({ description: 'Short biography, plain text (up to 5,000 characters).' });
const url = HttpUrlSchema.meta({ description: 'The author\'s own page (a profile, a personal site); JSON-LD `author.url`.' });
const imageMediaId = IdSchema.meta({ description: 'A portrait from the media library (anonymous callers may read it); unknown ids answer 422.' });

export const AuthorSchema = z
  .object({
    id: IdSchema.meta({ description: 'The author id (ULID).' }),
    slug: SlugSchema.meta({ description: 'The URL name, unique among authors: the `author` filter of the article list takes it.', example: 'seraphim-hanisch' }),
    name,
    bio: bio.nullable().meta({ description: 'Short biography, plain text; null when there is none.' }),
    url: HttpUrlSchema.nullable().meta({ description: 'The author\'s own page; null when there is none.' }),
    imageMediaId: IdSchema.nullable().meta({ description: 'The portrait (see GET /v1/media/{id}); null when there is none.' }),
    createdAt: TimestampSchema.meta({ description: 'When the author was created (RFC 3339, UTC).' }),
    updatedAt: TimestampSchema.meta({ description: 'The last change (RFC 3339, UTC); part of the `ETag`.' }),
  })
  .meta({ id: 'Author', description: 'A person credited on articles.' });
export const AuthorListSchema = listOf(AuthorSchema, 'AuthorList', 'A page of authors.');
export const NewAuthorSchema = z
  .strictObject({
    name,
    slug: SlugSchema.optional().meta({ description: 'The URL name; derived from the name when omitted. A taken slug answers 409.' }),
    bio: bio.optional(),
    url: url.optional(),
    imageMediaId: imageMediaId.optional(),
  })
  .meta({ id: 'NewAuthor', description: 'An author to create.' });
export const AuthorPatchSchema = z
  .strictObject({
    name: name.optional(),
    slug: SlugSchema.optional().meta({ description: 'A new URL name; a taken slug answers 409.' }),
    bio: bio.nullable().optional().meta({ description: 'Short biography, plain text; null clears it.' }),
    url: url.nullable().optional().meta({ description: 'The author\'s own page; null clears it.' }),
    imageMediaId: imageMediaId.nullable().optional().meta({ description: 'The portrait; null removes it.' }),
  })
  .meta({ id: 'AuthorPatch', description: 'Changes to an author (null clears a field).' });
