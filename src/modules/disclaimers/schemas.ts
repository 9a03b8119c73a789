import { z } from 'zod';
import { InlinesSchema } from '../../content/blocks.js';
import { IdSchema, listOf, PagingQuery, SlugSchema, TimestampSchema } from '../../http/schemas.js';
import { ArticleTypeSchema } from '../articles/types.js';

export const PlacementSchema = z.enum(['top', 'bottom']).meta({ id: 'Placement', description: 'Where a notice is rendered around the body.' });
const placements = z
  .array(PlacementSchema)
  .min(1)
  .max(2)
  .refine((p) => new Set(p).size === p.length, 'placements must be unique');
export const DisclaimerKindSchema = z.enum(['disclaimer', 'editors-note', 'sponsored', 'advisory', 'legal']).meta({
  id: 'DisclaimerKind',
  description: 'What kind of notice it is, for styling: `disclaimer`, `editors-note`, `sponsored` (a paid-content label), `advisory` (e.g. distressing content) or `legal`.',
});

const ruleTypes = z.array(ArticleTypeSchema).max(5);
const ruleSectionIds = z.array(IdSchema).max(100);

export const AppliesToSchema = z
  .strictObject({
    types: ruleTypes.optional().meta({ description: 'Article types the notice attaches to automatically.' }),
    sectionIds: ruleSectionIds.optional().meta({ description: 'Sections whose articles get the notice automatically.' }),
  })
  .meta({ id: 'AppliesTo', description: 'The rule that attaches a notice automatically: an article matches when its type is in `types` or its section is in `sectionIds`. Empty = never automatic.' });

/** Merge-patch of the rule: absent = unchanged, null = clear that part. */
export const AppliesToPatchSchema = z
  .strictObject({
    types: ruleTypes.nullable().optional().meta({ description: 'Article types; null clears them.' }),
    sectionIds: ruleSectionIds.nullable().optional().meta({ description: 'Section ids; null clears them.' }),
  })
  .meta({ id: 'AppliesToPatch', description: 'Changes to the automatic-attachment rule (merge-patch: absent = unchanged, null = clear).' });

const fields = {
  key: SlugSchema.meta({ description: 'Unique slug of the notice, for templates and tools to recognise it (a taken key answers 409).', example: 'opinion-views' }),
  kind: DisclaimerKindSchema.meta({ description: 'What kind of notice it is, for styling.' }),
  title: z.string().max(200).meta({ description: 'An optional heading shown above the text (up to 200 characters).', example: 'Opinion' }),
  body: InlinesSchema.min(1).meta({ description: 'The notice text, as inline nodes.' }),
  placements: placements.meta({ description: 'Where the notice goes by default: `top` (before the body), `bottom` (after it) or both (one notice, rendered twice).' }),
  appliesTo: AppliesToSchema.meta({ description: 'The rule that attaches the notice automatically (empty: only attached by hand).' }),
  active: z.boolean().meta({ description: 'Inactive notices are never rendered.' }),
};

export const DisclaimerSchema = z
  .object({
    id: IdSchema.meta({ description: 'The disclaimer id (ULID): what article attachments name.' }),
    key: z.string().meta({ description: 'Unique slug of the notice.', example: 'opinion-views' }),
    kind: DisclaimerKindSchema.meta({ description: 'What kind of notice it is, for styling.' }),
    title: z.string().nullable().meta({ description: 'A heading shown above the text; null when there is none.' }),
    body: InlinesSchema.meta({ description: 'The notice text, as inline nodes.' }),
    placements: z.array(PlacementSchema).meta({ description: 'The default slots: `top`, `bottom` or both.' }),
    appliesTo: AppliesToSchema.meta({ description: 'The rule that attaches the notice automatically (`{}`: only attached by hand).' }),
    active: z.boolean().meta({ description: 'Inactive notices are never rendered.' }),
    createdAt: TimestampSchema.meta({ description: 'When the notice was created (RFC 3339, UTC).' }),
    updatedAt: TimestampSchema.meta({ description: 'The last change (RFC 3339, UTC); part of the `ETag`.' }),
  })
  .meta({ id: 'Disclaimer', description: 'A reusable editorial notice.' });

export const DisclaimerListSchema = listOf(DisclaimerSchema, 'DisclaimerList', 'A page of disclaimers, by key.');
export const DisclaimerListQuerySchema = z.strictObject({ ...PagingQuery });

export const NewDisclaimerSchema = z
  .strictObject({
    key: fields.key,
    kind: fields.kind.default('disclaimer'),
    title: fields.title.optional(),
    body: fields.body,
    placements: fields.placements.default(['top']),
    appliesTo: fields.appliesTo.default({}).meta({ description: 'The rule that attaches the notice automatically; omitted: `{}` (only attached by hand).' }),
    active: fields.active.default(true),
  })
  .meta({ id: 'NewDisclaimer', description: 'A notice to create.' });

export const DisclaimerPatchSchema = z
  .strictObject({
    key: fields.key.optional(),
    kind: fields.kind.optional(),
    title: fields.title.nullable().optional().meta({ description: 'A heading shown above the text; null removes it.' }),
    body: fields.body.optional(),
    placements: fields.placements.optional(),
    appliesTo: AppliesToPatchSchema.nullable().optional().meta({ description: 'Merged into the rule; null removes the rule.' }),
    active: fields.active.optional(),
  })
  .meta({ id: 'DisclaimerPatch', description: 'Changes to a notice.' });

export const ResolvedDisclaimerSchema = DisclaimerSchema.pick({ id: true, key: true, kind: true, title: true, body: true, placements: true })
  .extend({
    source: z.enum(['rule', 'article']).meta({ description: '`rule`: attached by `appliesTo`; `article`: attached to this article.' }),
  })
  .meta({ id: 'ResolvedDisclaimer', description: 'A notice as it applies to one article. The same id appears in both slots when placed top and bottom.' });

export const ResolvedDisclaimersSchema = z
  .object({
    top: z.array(ResolvedDisclaimerSchema).meta({ description: 'The notices to render before the body, in order.' }),
    bottom: z.array(ResolvedDisclaimerSchema).meta({ description: 'The notices to render after the body, in order.' }),
  })
  .meta({ id: 'ArticleDisclaimerSlots', description: 'The notices of an article, by slot.' });

export const ResolvedDisclaimerListSchema = z
  .object({ data: z.array(ResolvedDisclaimerSchema).meta({ description: 'Each notice once: the article\'s own attachments first, then rule-attached ones by key.' }) })
  .meta({ id: 'ResolvedDisclaimerList', description: 'The resolved notices of an article, each once, in order.' });

export const AttachmentSchema = z
  .strictObject({
    disclaimerId: IdSchema.meta({ description: 'The notice to attach or suppress (see /v1/disclaimers); unknown ids answer 422.' }),
    placements: placements.optional().meta({ description: 'Defaults to the notice\'s own placements.' }),
    suppress: z.boolean().default(false).meta({ description: 'true removes a notice that a rule would attach.' }),
  })
  .meta({ id: 'DisclaimerAttachment', description: 'A notice attached to (or suppressed on) one article.' });

export const AttachmentListSchema = z
  .array(AttachmentSchema)
  .max(20)
  .refine((a) => new Set(a.map((x) => x.disclaimerId)).size === a.length, 'each disclaimer can be attached once')
  .meta({ id: 'DisclaimerAttachmentList', description: 'The article\'s own attachments, in order (replaces the previous list).' });

export const DeleteDisclaimerQuerySchema = z.strictObject({
  force: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').meta({ description: 'Delete even while articles attach it.' }),
});

export type Disclaimer = z.output<typeof DisclaimerSchema>;
export type NewDisclaimer = z.output<typeof NewDisclaimerSchema>;
export type DisclaimerPatch = z.output<typeof DisclaimerPatchSchema>;
export type ResolvedDisclaimer = z.output<typeof ResolvedDisclaimerSchema>;
export type ResolvedDisclaimers = z.output<typeof ResolvedDisclaimersSchema>;
export type Attachment = z.output<typeof AttachmentSchema>;
