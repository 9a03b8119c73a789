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

const position = z.number().int().min(0).meta({ description: '0-based place to insert at (clamped to the end); later links move down one.' });
const internalFields = { targetArticleId: IdSchema, label: label.optional().meta({ description: 'Shown instead of the target\'s headline.' }) };
const internal = z.strictObject(internalFields);

/**
 * An external link needs a label. Checked as a refinement rather than by a required field so that a
 * missing label is reported at `/body/label` instead of as "matches no alternative" at `/body`; the
 * `required` in the metadata keeps the OpenAPI document saying what the rule is.
 */
const externalFields = { url: HttpUrlSchema, label: label.optional() };
const needsLabel = (v: { label?: string | undefined }, ctx: z.RefinementCtx) => {
  if (v.label === undefined) ctx.addIssue({ code: 'custom', path: ['label'], message: 'an external link needs a label' });
};
const externalMeta = { description: 'A link to an external http(s) page, with its label.', required: ['url', 'label'] } as { description: string };
const external = z.strictObject(externalFields).superRefine(needsLabel).meta(externalMeta);

export const NewRelatedLinkSchema = z
  .union([internal.extend({ position: position.optional() }), z.strictObject({ ...externalFields, position: position.optional() }).superRefine(needsLabel).meta(externalMeta)])
  .meta({
    id: 'NewRelatedLink',
    description: 'Either `targetArticleId` (an article) or `url` + `label` (an external page); `position` inserts at that place.',
    example: { targetArticleId: '01JD3Q8Z6V0R8Y5M2K1N4P7S9T', position: 0 },
  });

export const RelatedLinkListInputSchema = z
  .array(z.union([internal, external]))
  .max(MAX_RELATED_LINKS)
  .meta({
    id: 'NewRelatedLinkList',
    description: 'The whole ordered list of links (order = position), replacing the current one.',
    example: [{ targetArticleId: '01JD3Q8Z6V0R8Y5M2K1N4P7S9T' }, { url: 'https://www.reuters.com/world/asia-pacific/', label: 'Reuters: Asia-Pacific' }],
  });

export const RelatedLinkPatchSchema = z
  .strictObject({
    label: label.nullable().optional().meta({ description: 'null clears it (internal links only: an external link needs a label).' }),
    position: z.number().int().min(0).optional().meta({ description: 'Moves the link to this 0-based place (clamped to the end); the others close up.' }),
    url: HttpUrlSchema.optional().meta({ description: 'External links only.' }),
  })
  .meta({ id: 'RelatedLinkPatch', description: 'Change a link\'s label, position or (external links) URL.' });

export const LinkParamsSchema = z.strictObject({ id: IdSchema, linkId: IdSchema });

export type RelatedLink = z.output<typeof RelatedLinkSchema>;
export type RelatedTarget = z.output<typeof RelatedTargetSchema>;
export type NewRelatedLink = z.output<typeof NewRelatedLinkSchema>;
export type RelatedLinkInput = z.output<typeof RelatedLinkListInputSchema>[number];
export type RelatedLinkPatch = z.output<typeof RelatedLinkPatchSchema>;
