import { z } from 'zod';
import { BlockSchema, BodySchema, HttpUrlSchema, ImageBlockSchema, MediaUseSchema } from '../../content/blocks.js';
import { ResolvedDisclaimersSchema } from '../disclaimers/schemas.js';
import { DisplaySchema, ExpandedMediaUseSchema, MediaSchema } from '../media/schemas.js';
import { RelatedLinkSchema } from '../related-links/schemas.js';
import { IdSchema, listOf, PagingQuery, SlugSchema, TimestampSchema } from '../../http/schemas.js';
import { AuthorSchema } from '../authors/schemas.js';
import { SectionSchema } from '../sections/schemas.js';
import { TagSchema } from '../tags/schemas.js';
import { ARTICLE_TYPES, ArticleTypeSchema } from './types.js';

export { ARTICLE_TYPES, ArticleTypeSchema } from './types.js';

export const AUTHOR_ROLES = ['author', 'contributor', 'photographer', 'translator'] as const;
export const INCLUDES = ['authors', 'section', 'tags', 'media', 'disclaimers', 'related', 'html', 'text'] as const;
export type Include = (typeof INCLUDES)[number];

export const ArticleStatusSchema = z
  .enum(['draft', 'scheduled', 'published'])
  .meta({ id: 'ArticleStatus', description: '`scheduled` is a published article whose `publishedAt` is still in the future.' });
const CommentsModeSchema = z
  .enum(['open', 'closed', 'hidden'])
  .meta({ description: 'The comment widget under the article: `open` (readers may comment), `closed` (existing comments shown, no new ones) or `hidden` (no widget).' });

const headline = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .meta({ description: 'The headline (the page h1), 1..300 characters after trimming.', example: 'As North and South meet, Putin likely to lead mediation efforts to resolve Korean crisis' });
const standfirst = z.string().max(1000).meta({
  description: 'The summary under the headline (up to 1,000 characters); feeds and JSON-LD use it as the description.',
  example: 'Talks signify new hopes for the de-escalation of tensions in East Asia; Russia’s role as a leading state continues to grow',
});
const kicker = z.string().max(100).meta({ description: 'Short label above the headline (up to 100 characters).', example: 'Opinion' });
const bylineOverride = z.string().max(300).meta({ description: 'Replaces the byline the front end builds from `authors` (the credits stay, for JSON-LD and author pages).' });
const language = z
  .string()
  .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a BCP 47 language tag')
  .meta({ description: 'BCP 47 language tag of the text.', example: 'en' });
const SeoSchema = z
  .strictObject({
    title: z.string().max(300).nullable().optional().meta({ description: 'The `<title>` for search engines and shares, instead of the headline; null or absent: the headline.' }),
    description: z.string().max(500).nullable().optional().meta({ description: 'The meta description, instead of the derived excerpt (it also becomes `excerpt`); null or absent: the excerpt.' }),
  })
  .meta({ id: 'Seo', description: 'Search-engine overrides; `description` also replaces the excerpt.' });
const SourceSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).meta({ description: 'The originating organisation, e.g. a wire agency.', example: 'TASS' }),
    url: HttpUrlSchema.optional().meta({ description: 'A link to the original story or to the agency.' }),
  })
  .meta({ id: 'ArticleSource', description: 'Where the story comes from, e.g. a wire agency.', example: { name: 'TASS' } });
const authorRole = z.enum(AUTHOR_ROLES).meta({ description: 'What the person did: `author` (in the byline and JSON-LD `author`), `contributor`, `photographer` or `translator`.' });
export const ArticleAuthorRefSchema = z
  .strictObject({ authorId: IdSchema.meta({ description: 'The author (see /v1/authors); it must exist (else 422).' }), role: authorRole.default('author') })
  .meta({ id: 'ArticleAuthorRef', description: 'A credited author and their role, in byline order.' });
const tagIds = z
  .array(IdSchema)
  .max(50)
  .refine((a) => new Set(a).size === a.length, 'tag ids must be unique')
  .meta({ description: 'The article\'s tags (see /v1/tags), at most 50, each once; unknown ids answer 422.' });
const authorRefs = z
  .array(ArticleAuthorRefSchema)
  .max(20)
  .refine((a) => new Set(a.map((x) => x.authorId)).size === a.length, 'an author can be credited once')
  .meta({ description: 'The credits in byline order, at most 20, each author once.' });
const sectionId = IdSchema.meta({ description: 'The section the article belongs to (see /v1/sections); unknown ids answer 422.' });
const canonicalUrl = HttpUrlSchema.meta({ description: 'The canonical URL when the article first appeared elsewhere (syndication); otherwise the page URL is canonical.' });
const hero = MediaUseSchema.meta({ description: 'The lead image: a media item with optional per-article caption, credit and alt overrides.' });
const articleType = ArticleTypeSchema.meta({ description: 'Kind of article: drives JSON-LD (`OpinionNewsArticle` for opinion), rule-attached disclaimers and the `type` filter.' });
const body = BodySchema.meta({ description: 'The body blocks in reading order (at most 2,000), validated on every write; block ids are generated when omitted.' });
const source = SourceSchema.meta({ description: 'Where the story comes from (e.g. a wire agency); JSON-LD `sourceOrganization`.' });
const seo = SeoSchema.meta({ description: 'Search-engine overrides of the title and description.' });

export const NewArticleSchema = z
  .strictObject({
    headline,
    standfirst: standfirst.optional(),
    kicker: kicker.optional(),
    type: articleType.default('news'),
    slug: SlugSchema.optional().meta({ description: 'The URL name; derived from the headline when omitted. A taken slug answers 409.' }),
    body: body.default([]),
    hero: hero.optional(),
    sectionId: sectionId.optional(),
    tagIds: tagIds.default([]),
    authors: authorRefs.default([]),
    bylineOverride: bylineOverride.optional(),
    language: language.default('en'),
    canonicalUrl: canonicalUrl.optional(),
    seo: seo.optional(),
    commentsMode: CommentsModeSchema.default('open'),
    source: source.optional(),
  })
  .meta({ id: 'NewArticle', description: 'An article to create (always as a draft).' });

export const ArticlePatchSchema = z
  .strictObject({
    headline: headline.optional(),
    standfirst: standfirst.nullable().optional().meta({ description: 'The summary under the headline; null clears it.' }),
    kicker: kicker.nullable().optional().meta({ description: 'Short label above the headline; null clears it.' }),
    type: articleType.optional(),
    slug: SlugSchema.optional().meta({ description: 'A new URL name; the old slug keeps answering with a 301 redirect to the new one. A taken slug answers 409.' }),
    body: body.optional().meta({ description: 'The whole new body (blocks are replaced, not merged); recomputes word count, reading time and excerpt.' }),
    hero: MediaUseSchema.nullable().optional().meta({ description: 'The lead image use; null removes it.' }),
    sectionId: IdSchema.nullable().optional().meta({ description: 'The section; null takes the article out of any section.' }),
    tagIds: tagIds.optional().meta({ description: 'The whole new tag list (replaces the old one).' }),
    authors: authorRefs.optional().meta({ description: 'The whole new credit list, in byline order (replaces the old one).' }),
    bylineOverride: bylineOverride.nullable().optional().meta({ description: 'Replaces the byline built from the authors; null goes back to it.' }),
    language: language.optional(),
    canonicalUrl: HttpUrlSchema.nullable().optional().meta({ description: 'The canonical URL elsewhere; null makes the page URL canonical again.' }),
    seo: SeoSchema.nullable().optional().meta({ description: 'Merged into the current overrides (a null field clears it); null clears both.' }),
    commentsMode: CommentsModeSchema.optional(),
    source: SourceSchema.nullable().optional().meta({ description: 'Where the story comes from; null clears it.' }),
    contentUpdatedAt: TimestampSchema.nullable().optional().meta({ description: 'The editorial "Updated" stamp, set explicitly (corrections set it too); null clears it.' }),
  })
  .meta({ id: 'ArticlePatch', description: 'Merge-patch of an article: absent = unchanged, null = clear.' });

const ArticleFields = {
  id: IdSchema.meta({ description: 'The article id (ULID), assigned at creation; it never changes.' }),
  slug: SlugSchema.meta({ description: 'The current URL name, unique among articles; old slugs redirect to it.', example: 'as-north-and-south-meet-putin-likely-to-lead-mediation-efforts-to-resolve-korean-crisis' }),
  url: z.string().meta({
    description: 'Public URL of the article page: SITE_URL + `/articles/` + slug.',
    example: 'https://www.example.com/articles/as-north-and-south-meet-putin-likely-to-lead-mediation-efforts-to-resolve-korean-crisis',
  }),
  headline: z.string().meta({ description: 'The headline (the page h1).', example: 'As North and South meet, Putin likely to lead mediation efforts to resolve Korean crisis' }),
  standfirst: z.string().nullable().meta({ description: 'The summary under the headline; null when there is none.' }),
  kicker: z.string().nullable().meta({ description: 'Short label above the headline; null when there is none.' }),
  type: articleType,
  status: ArticleStatusSchema.meta({ description: 'Publication state, computed at read time: `draft`, `scheduled` (published with a future `publishedAt`) or `published` (live).' }),
  body: body,
  hero: MediaUseSchema.nullable().meta({ description: 'The lead image use, or null.' }),
  sectionId: IdSchema.nullable().meta({ description: 'The section, or null; expanded as `section` with `include=section`.' }),
  tagIds: z.array(IdSchema).meta({ description: 'The tags, in the order set; expanded as `tags` with `include=tags`.' }),
  authors: z
    .array(
      z
        .object({
          authorId: IdSchema.meta({ description: 'The credited author.' }),
          role: authorRole,
          author: AuthorSchema.optional().meta({ description: 'The author profile, with `include=authors`.' }),
        })
        .meta({ id: 'ArticleAuthor', description: 'A credited author in byline order; the profile is expanded with `include=authors`.' }),
    )
    .meta({ description: 'The credits, in byline order.' }),
  bylineOverride: z.string().nullable().meta({ description: 'The byline to show instead of the one built from `authors`; null: build it from `authors`.' }),
  language: z.string().meta({ description: 'BCP 47 language tag of the text.', example: 'en' }),
  canonicalUrl: z.string().nullable().meta({ description: 'The canonical URL when the article first appeared elsewhere; null: `url` is canonical.' }),
  seo: SeoSchema.nullable().meta({ description: 'Search-engine overrides, or null.' }),
  commentsMode: CommentsModeSchema,
  source: SourceSchema.nullable().meta({ description: 'Where the story comes from (e.g. a wire agency), or null.' }),
  revision: z.number().int().min(1).meta({ description: 'Incremented by every write (related links and disclaimer attachments included); part of the `ETag`, `"r<revision>-<status>"`.', example: 3 }),
  createdAt: TimestampSchema.meta({ description: 'When the article was created (RFC 3339, UTC).' }),
  updatedAt: TimestampSchema.meta({ description: 'The last write of any kind (RFC 3339, UTC); drives `Last-Modified`.' }),
  firstPublishedAt: TimestampSchema.nullable().meta({ description: 'Set the first time the article went live; never moves. null until then.' }),
  publishedAt: TimestampSchema.nullable().meta({ description: 'Current (or scheduled) publication time; null for a draft.' }),
  contentUpdatedAt: TimestampSchema.nullable().meta({ description: 'Editorial "Updated" stamp (corrections, explicit choice); JSON-LD `dateModified`. null when never set.' }),
  deletedAt: TimestampSchema.nullable().meta({ description: 'Set while the article is in the trash; null otherwise (anonymous callers never see trashed articles).' }),
  wordCount: z.number().int().min(0).meta({ description: 'Words in the body text (pull quotes and disclaimers excluded), computed on save.', example: 601 }),
  readingTimeMinutes: z.number().int().min(0).meta({ description: 'Reading time in whole minutes at 230 words a minute (at least 1 for a body with words; 0 without), computed on save.', example: 3 }),
  excerpt: z.string().nullable().meta({
    description: '`seo.description` if set, else the text of the first block when it is a paragraph, cut at a word near 300 characters (then ending in `…`); null when there is neither.',
  }),
};

export const ArticleSnapshotSchema = z.object(ArticleFields).meta({ id: 'ArticleSnapshot', description: 'An article as stored, without expansions.' });

const ExpandedImageBlockSchema = ImageBlockSchema.extend({
  media: MediaSchema.nullable().meta({ description: 'The media item; null when it no longer exists (deleted with `force=true`).' }),
  display: DisplaySchema.meta({ description: 'The caption, credit and alt text to render, overrides applied.' }),
}).meta({
  id: 'ExpandedImageBlock',
  description: 'An image block with its media item and resolved display values (with `include=media`).',
});

export const ArticleSchema = z
  .object({
    ...ArticleFields,
    body: z.array(z.union([ExpandedImageBlockSchema, BlockSchema])).meta({ description: 'The body blocks in reading order; image blocks carry `media` and `display` with `include=media`.' }),
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
  // Inline (not the ArticleType $ref): @fastify/swagger drops the description of a $ref parameter.
  type: z.enum(ARTICLE_TYPES).optional().meta({ description: 'Only articles of this type.' }),
  section: SlugSchema.optional().meta({ description: 'Section slug.', example: 'opinion' }),
  tag: SlugSchema.optional().meta({ description: 'Tag slug.', example: 'korean-peninsula' }),
  author: SlugSchema.optional().meta({ description: 'Author slug.', example: 'guest-columnist' }),
  status: z.enum(['draft', 'scheduled', 'published', 'deleted']).optional().meta({ description: 'Editors only. `deleted` lists the trash.' }),
  publishedAfter: TimestampSchema.optional().meta({ description: 'Only articles with `publishedAt` at or after this time (RFC 3339).', example: '2018-01-01T00:00:00.000Z' }),
  publishedBefore: TimestampSchema.optional().meta({ description: 'Only articles with `publishedAt` before this time (RFC 3339).', example: '2018-02-01T00:00:00.000Z' }),
  q: z.string().max(200).optional().meta({ description: 'Full-text search over headline, standfirst, body and image captions (plain words; see GET /v1/search for ranked results).' }),
  sort: z.enum(ARTICLE_SORTS).default('-publishedAt').meta({ description: 'Order: `-publishedAt` (newest first, the default), `publishedAt`, `-updatedAt` or `headline`; ties are broken by id.' }),
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
  .object({
    keyId: z.string().nullable().meta({ description: 'The id of the API key; null for system writes.' }),
    name: z.string().nullable().meta({ description: 'The key\'s name at the time of the write; null for system writes.', example: 'Newsroom editor app' }),
    role: z.string().nullable().meta({ description: 'The key\'s role at the time of the write (`editor` or `admin`); null for system writes.', example: 'editor' }),
  })
  .meta({ id: 'Actor', description: 'The API key that made a change (null fields for the system, e.g. the demo seed).' });

const revisionNumber = z.number().int().min(1).meta({ description: 'The article\'s `revision` value after this write (1 for the creation).', example: 3 });
export const RevisionSummarySchema = z
  .object({
    revision: revisionNumber,
    createdAt: TimestampSchema.meta({ description: 'When the write happened (RFC 3339, UTC).' }),
    actor: ActorSchema.meta({ description: 'Who made the write.' }),
    note: z.string().meta({ description: 'What the write did, generated by the server (`created`, `updated`, `published`, `scheduled for <time>`, `unpublished`, `moved to trash`, `restored from trash`, `restored revision <n>`, `related links changed`, `disclaimers changed`…).', example: 'published' }),
  })
  .meta({ id: 'RevisionSummary', description: 'One entry in an article history.' });
export const RevisionListSchema = listOf(RevisionSummarySchema, 'RevisionList', 'A page of revisions, newest first.');
export const RevisionSchema = RevisionSummarySchema.extend({
  article: ArticleSnapshotSchema.meta({ description: 'The article as it was stored after this write (its own fields; no expansions, related links or attachments).' }),
}).meta({ id: 'Revision', description: 'A full snapshot of an article at one revision.' });
export const RevisionParamsSchema = z.strictObject({
  id: IdSchema,
  // Decimal digits only: "0x10" or "1e3" are not revision numbers.
  revision: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, 'a revision number (1, 2, 3…)')
    .transform(Number)
    .meta({ description: 'A revision number (decimal digits, from 1), as listed by GET /v1/articles/{id}/revisions.', example: '3' }),
});

export const CORRECTION_KINDS = ['correction', 'clarification', 'update', 'retraction'] as const;
const correctionKind = z.enum(CORRECTION_KINDS).meta({
  description: '`correction` (a factual error fixed), `clarification` (wording made clearer), `update` (new facts added) or `retraction` (the claim is withdrawn).',
});
export const NewCorrectionSchema = z
  .strictObject({
    kind: correctionKind,
    text: z.string().trim().min(1).max(5000).meta({ description: 'The note shown to readers, plain text (1..5,000 characters).' }),
  })
  .meta({ id: 'NewCorrection', description: 'A correction to append.' });
export const CorrectionSchema = z
  .object({
    id: IdSchema.meta({ description: 'The correction id (ULID).' }),
    kind: correctionKind,
    text: z.string().meta({ description: 'The note shown to readers, plain text.' }),
    publishedAt: TimestampSchema.meta({ description: 'When the correction was added (RFC 3339, UTC); it also became the article\'s `contentUpdatedAt`.' }),
  })
  .meta({ id: 'Correction', description: 'An append-only, dated correction.' });
export const CorrectionListSchema = z
  .object({ data: z.array(CorrectionSchema).meta({ description: 'Every correction, oldest first (never paged: corrections are few).' }) })
  .meta({ id: 'CorrectionList', description: 'All corrections of an article, oldest first.' });

export const JsonLdSchema = z.record(z.string(), z.unknown()).meta({ id: 'JsonLd', description: 'schema.org NewsArticle or OpinionNewsArticle.' });

export type NewArticle = z.output<typeof NewArticleSchema>;
export type ArticlePatch = z.output<typeof ArticlePatchSchema>;
export type Article = z.output<typeof ArticleSchema>;
