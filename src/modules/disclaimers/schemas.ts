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
export const DisclaimerKindSchema = z.enum(['disclaimer', 'editors-note', 'sponsored', 'advisory', 'legal']).meta({ id: 'DisclaimerKind' });

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
  key: SlugSchema.meta({ description: 'Unique slug of the notice.', example: 'opinion-views' }),
  kind: DisclaimerKindSchema,
  title: z.string().max(200),
  body: InlinesSchema.min(1).meta({ description: 'The notice text, as inline nodes.' }),
  placements,
  appliesTo: AppliesToSchema,
  active: z.boolean().meta({ description: 'Inactive notices are never rendered.' }),
};

export const DisclaimerSchema = z
  .object({
    id: IdSchema,
    key: z.string(),
    kind: DisclaimerKindSchema,
    title: z.string().nullable(),
    body: InlinesSchema,
    placements: z.array(PlacementSchema),
    appliesTo: AppliesToSchema,
    active: z.boolean(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
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
    appliesTo: fields.appliesTo.default({}),
    active: fields.active.default(true),
  })
  .meta({ id: 'NewDisclaimer', description: 'A notice to create.' });

export const DisclaimerPatchSchema = z
  .strictObject({
    key: fields.key.optional(),
    kind: fields.kind.optional(),
    title: fields.title.nullable().optional(),
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
  .object({ top: z.array(ResolvedDisclaimerSchema), bottom: z.array(ResolvedDisclaimerSchema) })
  .meta({ id: 'ArticleDisclaimerSlots', description: 'The notices of an article, by slot.' });

export const ResolvedDisclaimerListSchema = z
  .object({ data: z.array(ResolvedDisclaimerSchema) })
  .meta({ id: 'ResolvedDisclaimerList', description: 'The resolved notices of an article, each once, in order.' });

export const AttachmentSchema = z
  .strictObject({
    disclaimerId: IdSchema,
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
