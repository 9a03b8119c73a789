import { z } from 'zod';
import { IdSchema, listOf, SlugSchema, TimestampSchema } from '../../http/schemas.js';

const name = z.string().trim().min(1).max(100).meta({ description: 'The section name as shown on the site and in JSON-LD `articleSection` (1..100 characters).', example: 'Opinion' });

export const SectionSchema = z
  .object({
    id: IdSchema.meta({ description: 'The section id (ULID): what `sectionId` of an article names.' }),
    slug: SlugSchema.meta({ description: 'The URL name, unique among sections: the `section` filter of lists and feeds takes it.', example: 'opinion' }),
    name,
    parentId: IdSchema.nullable().meta({ description: 'The parent section, for a tree; null for a top-level section.' }),
    createdAt: TimestampSchema.meta({ description: 'When the section was created (RFC 3339, UTC).' }),
    updatedAt: TimestampSchema.meta({ description: 'The last change (RFC 3339, UTC); part of the `ETag`.' }),
  })
  .meta({ id: 'Section', description: 'A section of the site (a tree).' });
export const SectionListSchema = listOf(SectionSchema, 'SectionList', 'A page of sections.');
export const NewSectionSchema = z
  .strictObject({
    name,
    slug: SlugSchema.optional().meta({ description: 'The URL name; derived from the name when omitted. A taken slug answers 409.' }),
    parentId: IdSchema.optional().meta({ description: 'The parent section; omit for a top-level section. Unknown ids answer 422.' }),
  })
  .meta({ id: 'NewSection', description: 'A section to create.' });
export const SectionPatchSchema = z
  .strictObject({
    name: name.optional(),
    slug: SlugSchema.optional().meta({ description: 'A new URL name; a taken slug answers 409.' }),
    parentId: IdSchema.nullable().optional().meta({ description: 'A new parent (422 `section-cycle` if it would make the section its own ancestor); null makes it top level.' }),
  })
  .meta({ id: 'SectionPatch', description: 'Changes to a section (parentId null makes it top level).' });
