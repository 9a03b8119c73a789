import { z } from 'zod';
import { HttpUrlSchema } from '../../content/blocks.js';
import { IdSchema, TimestampSchema } from '../../http/schemas.js';
import { ArticleTypeSchema } from '../articles/types.js';
import { ExpandedMediaUseSchema } from '../media/schemas.js';

export const MAX_RELATED_LINKS = 20;

const label = z.string().trim().min(1).max(300);

export const RelatedTargetSchema = z
  .object({
    id: IdSchema,
    slug: z.string(),
    url: z.string(),
    headline: z.string(),
    type: ArticleTypeSchema,
    publishedAt: TimestampSchema.nullable(),
    hero: ExpandedMediaUseSchema.nullable().meta({ description: 'The target\'s hero (thumbnail source), or null.' }),
  })
  .meta({ id: 'RelatedTarget', description: 'A summary of the linked article.' });

export const RelatedLinkSchema = z
  .object({
    id: IdSchema,
    position: z.number().int().meta({ description: '0-based order.' }),
    label: z.string().nullable(),
    url: z.string().meta({ description: 'The external URL, or the target article\'s URL.' }),
    target: RelatedTargetSchema.nullable().meta({ description: 'null for external links.' }),
  })
  .meta({ id: 'RelatedLink', description: 'A link from an article to another article or an external page.' });

export const RelatedLinkListSchema = z.object({ data: z.array(RelatedLinkSchema) }).meta({ id: 'RelatedLinkList', description: 'The ordered links of an article.' });

const internal = z.strictObject({ targetArticleId: IdSchema, label: label.optional(), position: z.number().int().min(0).optional() });
const external = z.strictObject({ url: HttpUrlSchema, label, position: z.number().int().min(0).optional() });

export const NewRelatedLinkSchema = z
  .union([internal, external])
  .meta({ id: 'NewRelatedLink', description: 'Either `targetArticleId` (an article) or `url` + `label` (an external page); `position` inserts at that place.' });

export const RelatedLinkListInputSchema = z
  .array(z.union([internal.omit({ position: true }), external.omit({ position: true })]))
  .max(MAX_RELATED_LINKS)
  .meta({ id: 'RelatedLinkListInput', description: 'The whole ordered list (order = position).' });

export const RelatedLinkPatchSchema = z
  .strictObject({ label: label.nullable().optional(), position: z.number().int().min(0).optional(), url: HttpUrlSchema.optional() })
  .meta({ id: 'RelatedLinkPatch', description: 'Change a link\'s label, position or (external links) URL.' });

export const LinkParamsSchema = z.strictObject({ id: IdSchema, linkId: IdSchema });
