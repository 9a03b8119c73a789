import { z } from 'zod';
import { BlockSchema, BodySchema, HttpUrlSchema, ImageBlockSchema, MediaUseSchema } from '../../content/blocks.js';
import { ResolvedDisclaimersSchema } from '../disclaimers/schemas.js';
import { DisplaySchema, ExpandedMediaUseSchema, MediaSchema } from '../media/schemas.js';
import { RelatedLinkSchema } from '../related-links/schemas.js';
import { IdSchema, listOf, PagingQuery, SlugSchema, TimestampSchema } from '../../http/schemas.js';
import { AuthorSchema } from '../authors/schemas.js';
import { SectionSchema } from '../sections/schemas.js';
import { TagSchema } from '../tags/schemas.js';
import { ArticleTypeSchema } from './types.js';

export { ARTICLE_TYPES, ArticleTypeSchema } from './types.js';

export const AUTHOR_ROLES = ['author', 'contributor', 'photographer', 'translator'] as const;
export const INCLUDES = ['authors', 'section', 'tags', 'media', 'disclaimers', 'related', 'html', 'text'] as const;
export type Include = (typeof INCLUDES)[number];

export const ArticleStatusSchema = z
  .enum(['draft', 'scheduled', 'published'])
  .meta({ id: 'ArticleStatus', description: '`scheduled` is a published article whose `publishedAt` is still in the future.' });
const CommentsModeSchema = z.enum(['open', 'closed', 'hidden']).meta({ description: 'How the front end shows the comment widget.' });

const headline = z.string().trim().min(1).max(300).meta({ example: 'As North and South meet, Putin likely to lead mediation efforts to resolve Korean crisis' });
const standfirst = z.string().max(1000).meta({ description: 'The summary under the headline.' });
const kicker = z.string().max(100).meta({ description: 'Short label above the headline.' });
const bylineOverride = z.string().max(300).meta({ description: 'Replaces the byline built from the authors.' });
const language = z
  .string()
  .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a BCP 47 language tag')
  .meta({ description: 'BCP 47 language tag.', example: 'en' });
const SeoSchema = z
  .strictObject({ title: z.string().max(300).nullable().optional(), description: z.string().max(500).nullable().optional() })
  .meta({ id: 'Seo', description: 'Search-engine overrides; `description` also replaces the excerpt.' });
const SourceSchema = z
  .strictObject({ name: z.string().trim().min(1).max(200), url: HttpUrlSchema.optional() })
  .meta({ id: 'ArticleSource', description: 'Where the story comes from, e.g. a wire agency.', example: { name: 'TASS' } });
export const ArticleAuthorRefSchema = z
  .strictObject({ authorId: IdSchema, role: z.enum(AUTHOR_ROLES).default('author') })
  .meta({ id: 'ArticleAuthorRef', description: 'A credited author and their role, in byline order.' });
const tagIds = z.array(IdSchema).max(50).refine((a) => new Set(a).size === a.length, 'tag ids must be unique');
const authorRefs = z
  .array(ArticleAuthorRefSchema)
  .max(20)
  .refine((a) => new Set(a.map((x) => x.authorId)).size === a.length, 'an author can be credited once');

export const NewArticleSchema = z
  .strictObject({
    headline,
    standfirst: standfirst.optional(),
    kicker: kicker.optional(),
    type: ArticleTypeSchema.default('news'),
    slug: SlugSchema.optional().meta({ description: 'Derived from the headline when omitted.' }),
    body: BodySchema.default([]),
    hero: MediaUseSchema.optional(),
    sectionId: IdSchema.optional(),
    tagIds: tagIds.default([]),
    authors: authorRefs.default([]),
    bylineOverride: bylineOverride.optional(),
    language: language.default('en'),
    canonicalUrl: HttpUrlSchema.optional(),
    seo: SeoSchema.optional(),
    commentsMode: CommentsModeSchema.default('open'),
    source: SourceSchema.optional(),
  })
  .meta({ id: 'NewArticle', description: 'An article to create (always as a draft).' });

export const ArticlePatchSchema = z
  .strictObject({
    headline: headline.optional(),
    standfirst: standfirst.nullable().optional(),
    kicker: kicker.nullable().optional(),
    type: ArticleTypeSchema.optional(),
    slug: SlugSchema.optional().meta({ description: 'Changing it keeps the old slug as a 301 redirect.' }),
    body: BodySchema.optional(),
    hero: MediaUseSchema.nullable().optional(),
    sectionId: IdSchema.nullable().optional(),
    tagIds: tagIds.optional(),
    authors: authorRefs.optional(),
    bylineOverride: bylineOverride.nullable().optional(),
    language: language.optional(),
    canonicalUrl: HttpUrlSchema.nullable().optional(),
    seo: SeoSchema.nullable().optional(),
    commentsMode: CommentsModeSchema.optional(),
    source: SourceSchema.nullable().optional(),
    contentUpdatedAt: TimestampSchema.nullable().optional().meta({ description: 'The editorial "Updated" stamp, set explicitly.' }),
  })
  .meta({ id: 'ArticlePatch', description: 'Merge-patch of an article: absent = unchanged, null = clear.' });

const ArticleFields = {
  id: IdSchema,
  slug: SlugSchema,
  url: z.string().meta({ description: 'Public URL on the site (from SITE_URL).' }),
  headline: z.string(),
  standfirst: z.string().nullable(),
  kicker: z.string().nullable(),
  type: ArticleTypeSchema,
  status: ArticleStatusSchema,
  body: BodySchema,
  hero: MediaUseSchema.nullable(),
  sectionId: IdSchema.nullable(),
  tagIds: z.array(IdSchema),
  authors: z.array(
    z
      .object({ authorId: IdSchema, role: z.enum(AUTHOR_ROLES), author: AuthorSchema.optional().meta({ description: 'With `include=authors`.' }) })
      .meta({ id: 'ArticleAuthor', description: 'A credited author in byline order; the profile is expanded with `include=authors`.' }),
  ),
  bylineOverride: z.string().nullable(),
  language: z.string(),
  canonicalUrl: z.string().nullable(),
  seo: SeoSchema.nullable(),
  commentsMode: CommentsModeSchema,
  source: SourceSchema.nullable(),
  revision: z.number().int().meta({ description: 'Incremented by every write.' }),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  firstPublishedAt: TimestampSchema.nullable().meta({ description: 'Set the first time the article went live; never moves.' }),
  publishedAt: TimestampSchema.nullable().meta({ description: 'Current (or scheduled) publication time.' }),
  contentUpdatedAt: TimestampSchema.nullable().meta({ description: 'Editorial "Updated" stamp (corrections, explicit choice).' }),
  deletedAt: TimestampSchema.nullable().meta({ description: 'Set while the article is in the trash.' }),
  wordCount: z.number().int(),
  readingTimeMinutes: z.number().int(),
  excerpt: z.string().nullable(),
};

export const ArticleSnapshotSchema = z.object(ArticleFields).meta({ id: 'ArticleSnapshot', description: 'An article as stored, without expansions.' });

const ExpandedImageBlockSchema = ImageBlockSchema.extend({ media: MediaSchema.nullable(), display: DisplaySchema }).meta({
  id: 'ExpandedImageBlock',
  description: 'An image block with its media item and resolved display values (with `include=media`).',
});

export const ArticleSchema = z
  .object({
    ...ArticleFields,
    body: z.array(z.union([ExpandedImageBlockSchema, BlockSchema])).meta({ description: 'The body blocks; image blocks are expanded with `include=media`.' }),
    hero: z.union([ExpandedMediaUseSchema, MediaUseSchema]).nullable().meta({ description: 'The hero image use; expanded with `include=media`.' }),
    disclaimers: ResolvedDisclaimersSchema.optional().meta({ description: 'With `include=disclaimers`: the resolved notices by slot.' }),
    related: z.array(RelatedLinkSchema).optional().meta({ description: 'With `include=related`: the ordered related links (only live targets for anonymous callers).' }),
    section: SectionSchema.nullable().optional().meta({ description: 'With `include=section`.' }),
    tags: z.array(TagSchema).optional().meta({ description: 'With `include=tags`.' }),
    bodyHtml: z.string().optional().meta({ description: 'With `include=html`: the body as semantic HTML, every text escaped; figures carry the resolved caption and credit.' }),
    bodyText: z.string().optional().meta({ description: 'With `include=text`: the body as plain text, blocks separated by blank lines.' }),
  })
  .meta({ id: 'Article', description: 'An article; expansions appear with `include`.' });

export const ArticleListSchema = listOf(ArticleSchema, 'ArticleList', 'A page of articles.');

export const IncludeSchema = z
  .string()
  .max(200)
  .transform((v, ctx): Include[] => {
    const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
    if (parts.includes('all')) return [...INCLUDES];
    const bad = parts.filter((p) => !(INCLUDES as readonly string[]).includes(p));
    if (bad.length) ctx.addIssue({ code: 'custom', message: `unknown include: ${bad.join(', ')} (allowed: ${INCLUDES.join(', ')}, all)` });
    return [...new Set(parts)] as Include[];
  })
  .optional()
  .meta({ description: `Comma list of expansions: ${INCLUDES.join(', ')}, or all.`, example: 'all' });

export const ArticleReadQuerySchema = z.strictObject({ include: IncludeSchema });

export const ARTICLE_SORTS = ['-publishedAt', 'publishedAt', '-updatedAt', 'headline'] as const;
export type ArticleSort = (typeof ARTICLE_SORTS)[number];

export const ArticleListQuerySchema = z.strictObject({
  ...PagingQuery,
  type: ArticleTypeSchema.optional(),
  section: SlugSchema.optional().meta({ description: 'Section slug.' }),
  tag: SlugSchema.optional().meta({ description: 'Tag slug.' }),
  author: SlugSchema.optional().meta({ description: 'Author slug.' }),
  status: z.enum(['draft', 'scheduled', 'published', 'deleted']).optional().meta({ description: 'Editors only. `deleted` lists the trash.' }),
  publishedAfter: TimestampSchema.optional(),
  publishedBefore: TimestampSchema.optional(),
  q: z.string().max(200).optional().meta({ description: 'Full-text search over headline, standfirst, body and image captions (plain words; see GET /v1/search for ranked results).' }),
  sort: z.enum(ARTICLE_SORTS).default('-publishedAt'),
  include: IncludeSchema,
});
export type ArticleListQuery = z.output<typeof ArticleListQuerySchema>;

export const PublishSchema = z
  .strictObject({ publishAt: TimestampSchema.optional().meta({ description: 'Past or absent: live now. Future: scheduled.' }) })
  .meta({ id: 'PublishRequest', description: 'When to publish.' });

export const DeleteQuerySchema = z.strictObject({
  permanent: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').meta({ description: 'Admins only: delete for good instead of moving to the trash.' }),
});

const ActorSchema = z
  .object({ keyId: z.string().nullable(), name: z.string().nullable(), role: z.string().nullable() })
  .meta({ id: 'Actor', description: 'The API key that made a change (null fields for the system, e.g. the demo seed).' });

export const RevisionSummarySchema = z
  .object({ revision: z.number().int(), createdAt: TimestampSchema, actor: ActorSchema, note: z.string() })
  .meta({ id: 'RevisionSummary', description: 'One entry in an article history.' });
export const RevisionListSchema = listOf(RevisionSummarySchema, 'RevisionList', 'A page of revisions, newest first.');
export const RevisionSchema = RevisionSummarySchema.extend({ article: ArticleSnapshotSchema }).meta({ id: 'Revision', description: 'A full snapshot of an article at one revision.' });
export const RevisionParamsSchema = z.strictObject({
  id: IdSchema,
  // Decimal digits only: "0x10" or "1e3" are not revision numbers.
  revision: z.string().regex(/^[1-9][0-9]{0,8}$/, 'a revision number (1, 2, 3…)').transform(Number),
});

export const CORRECTION_KINDS = ['correction', 'clarification', 'update', 'retraction'] as const;
export const NewCorrectionSchema = z
  .strictObject({ kind: z.enum(CORRECTION_KINDS), text: z.string().trim().min(1).max(5000) })
  .meta({ id: 'NewCorrection', description: 'A correction to append.' });
export const CorrectionSchema = z
  .object({ id: IdSchema, kind: z.enum(CORRECTION_KINDS), text: z.string(), publishedAt: TimestampSchema })
  .meta({ id: 'Correction', description: 'An append-only, dated correction.' });
export const CorrectionListSchema = z.object({ data: z.array(CorrectionSchema) }).meta({ id: 'CorrectionList', description: 'All corrections of an article, oldest first.' });

export const JsonLdSchema = z.record(z.string(), z.unknown()).meta({ id: 'JsonLd', description: 'schema.org NewsArticle or OpinionNewsArticle.' });

export type NewArticle = z.output<typeof NewArticleSchema>;
export type ArticlePatch = z.output<typeof ArticlePatchSchema>;
export type Article = z.output<typeof ArticleSchema>;
