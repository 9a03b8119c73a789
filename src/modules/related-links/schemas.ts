import { z } from 'zod';
import { HttpUrlSchema } from '../../content/blocks.js';
import { IdSchema, TimestampSchema } from '../../http/schemas.js';
import { ArticleTypeSchema } from '../articles/types.js';
import { ExpandedMediaUseSchema } from '../media/schemas.js';

export const MAX_RELATED_LINKS = 20;

const label = z.string().trim().min(1).max(300).meta({ description: 'The link text (1..300 characters).' });

export const RelatedTargetSchema = z
  .object({
    id: IdSchema.meta({ description: 'The linked article.' }),
    slug: z.string().meta({ description: 'Its current slug.', example: 'oliver-stones-film-ukraine-on-fire-finally-available-in-original-english-watch' }),
    url: z.string().meta({ description: 'Its public URL (SITE_URL + `/articles/` + slug).' }),
    headline: z.string().meta({ description: 'Its headline.', example: 'Oliver Stone’s film ‘Ukraine on Fire’ FINALLY available in original English (WATCH)' }),
    type: ArticleTypeSchema.meta({ description: 'Its type.' }),
    publishedAt: TimestampSchema.nullable().meta({ description: 'Its publication time; null while it is a draft (only editors see such links).' }),
    hero: ExpandedMediaUseSchema.nullable().meta({ description: 'The target\'s hero (thumbnail source), or null.' }),
  })
  .meta({ id: 'RelatedTarget', description: 'A summary of the linked article.' });

export const RelatedLinkSchema = z
  .object({
    id: IdSchema.meta({ description: 'The link id (ULID): what PATCH and DELETE /v1/articles/{id}/related-links/{linkId} name. It survives a PUT that keeps the link.' }),
    position: z.number().int().min(0).meta({ description: '0-based order.' }),
    label: z.string().nullable().meta({ description: 'The link text: always set for an external link; for an internal one, null means "use the target\'s headline".' }),
    url: z.string().meta({ description: 'The external URL, or the target article\'s URL.' }),
    target: RelatedTargetSchema.nullable().meta({ description: 'null for external links.' }),
  })
  .meta({ id: 'RelatedLink', description: 'A link from an article to another article or an external page.' });

export const RelatedLinkListSchema = z
  .object({ data: z.array(RelatedLinkSchema).meta({ description: 'The links in order (position 0 first), at most 20.' }) }).meta({ id: 'RelatedLinkList', description: 'The ordered links of an article.' });

const position = z.number().int().min(0).meta({ description: '0-based place to insert at (clamped to the end); later links move down one.' });
const internalFields = {
  targetArticleId: IdSchema.meta({ description: 'The article to link to (drafts allowed: anonymous readers see the link once it is live). Not the article itself (422).' }),
  label: label.optional().meta({ description: 'Shown instead of the target\'s headline.' }),
};
const internal = z.strictObject(internalFields);

/**
 * An external link needs a label. Checked as a refinement rather than by a required field so that a
 * missing label is reported at `/body/label` instead of as "matches no alternative" at `/body`; the
 * `required` in the metadata keeps the OpenAPI document saying what the rule is.
 */
const externalFields = {
  url: HttpUrlSchema.meta({ description: 'The external page: an absolute http(s) URL.', example: 'https://www.reuters.com/world/asia-pacific/' }),
  label: label.optional().meta({ description: 'The link text: required for an external link.' }),
};
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
