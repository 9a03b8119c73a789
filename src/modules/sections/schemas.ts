import { z } from 'zod';
import { IdSchema, listOf, SlugSchema, TimestampSchema } from '../../http/schemas.js';

const name = z.string().trim().min(1).max(100).meta({ example: 'Opinion' });

export const SectionSchema = z
  .object({ id: IdSchema, slug: SlugSchema, name, parentId: IdSchema.nullable().meta({ description: 'The parent section, for a tree.' }), createdAt: TimestampSchema, updatedAt: TimestampSchema })
  .meta({ id: 'Section', description: 'A section of the site (a tree).' });
export const SectionListSchema = listOf(SectionSchema, 'SectionList', 'A page of sections.');
export const NewSectionSchema = z
  .strictObject({ name, slug: SlugSchema.optional(), parentId: IdSchema.optional() })
  .meta({ id: 'NewSection', description: 'A section to create.' });
export const SectionPatchSchema = z
  .strictObject({ name: name.optional(), slug: SlugSchema.optional(), parentId: IdSchema.nullable().optional() })
  .meta({ id: 'SectionPatch', description: 'Changes to a section (parentId null makes it top level).' });
