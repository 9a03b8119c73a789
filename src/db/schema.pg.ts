import { sql } from 'drizzle-orm';
import { type AnyPgColumn, bigint, boolean, check, customType, index, integer, jsonb, pgTable, primaryKey, uniqueIndex } from 'drizzle-orm/pg-core';

// The PostgreSQL twin of src/db/schema.ts (issue 8): the same tables, column names, nullability, defaults,
// keys and indexes; test/db/pg-schema.test.ts holds the two side by side. Not imported by runtime code yet.
//
// What differs, and why:
// - Text is `COLLATE "C"`: SQLite compares text byte by byte (BINARY), and the code relies on it (RFC 3339
//   times and ULIDs compared as strings, keyset cursors over name/headline). A server's default collation
//   (often en_US.UTF-8) would sort "apple" before "Banana" and differ from server to server.
// - Enum columns stay text (drizzle's SQLite enums are a TypeScript type, not a CHECK); the two CHECKs SQLite
//   has are kept.
// - JSON columns are jsonb; SQLite's 0/1 booleans are boolean; media.bytes is bigint (SQLite integers are 64-bit).
// - Full-text search is a generated tsvector column (`articles.search`) with a GIN index, in place of the
//   FTS5 table and its triggers (migrations/0001_search.sql, 0005_search_captions.sql). See SEARCH_CONFIG.

/** text COLLATE "C": byte order, as SQLite's BINARY collation. */
const text = customType<{ data: string; driverData: string }>({ dataType: () => 'text COLLATE "C"' });

/** A text column that holds one of `values` (typed only, as in the SQLite schema). */
const oneOf = <const V extends readonly [string, ...string[]]>(name: string, _values: V) => text(name).$type<V[number]>();

const tsvector = customType<{ data: string; driverData: string }>({ dataType: () => 'tsvector' });

/**
 * The text search configuration the `search` column is built with, and queries must use
 * (`websearch_to_tsquery('broadsheet', …)`): a copy of 'simple' (no stemming, lower case, as FTS5's
 * unicode61 tokenizer) with the `unaccent` dictionary in front, like FTS5's `remove_diacritics 2`. It lives in
 * the schema the migrations ran in and is made by migrations-pg/0000_search_config.sql, which falls back to
 * plain 'simple' (with a warning) where the unaccent extension (PostgreSQL contrib, trusted since PG 13:
 * a database owner may create it) cannot be created.
 */
export const SEARCH_CONFIG = 'broadsheet';

/**
 * Weights for `ts_rank`/`ts_rank_cd(SEARCH_WEIGHTS, search, query)`, in PostgreSQL's order {D, C, B, A}.
 * The SQLite index ranks with bm25 weights headline 10, standfirst 4, plain_text 1, captions 2; here
 * headline is A, standfirst B, plain_text C and captions D, so the same ratios are {0.2, 0.1, 0.4, 1.0}
 * (PostgreSQL's default {0.1, 0.2, 0.4, 1.0} would rank captions below body text).
 */
export const SEARCH_WEIGHTS = '{0.2,0.1,0.4,1.0}';

export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  role: oneOf('role', ['editor', 'admin']).notNull(),
  prefix: text('prefix').notNull(),
  hash: text('hash').notNull().unique(),
  createdAt: text('created_at').notNull(),
  lastUsedAt: text('last_used_at'),
  revokedAt: text('revoked_at'),
});

export const authors = pgTable('authors', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  bio: text('bio'),
  url: text('url'),
  imageMediaId: text('image_media_id'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [index('authors_name_idx').on(t.name, t.id)]);

export const sections = pgTable('sections', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  parentId: text('parent_id').references((): AnyPgColumn => sections.id),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [index('sections_name_idx').on(t.name, t.id), index('sections_parent_idx').on(t.parentId)]);

export const tags = pgTable('tags', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [index('tags_name_idx').on(t.name, t.id)]);

export const articles = pgTable('articles', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  headline: text('headline').notNull(),
  standfirst: text('standfirst'),
  kicker: text('kicker'),
  type: oneOf('type', ['news', 'opinion', 'analysis', 'feature', 'sponsored']).notNull(),
  // 'published' with a future published_at reads as 'scheduled': no job has to flip it.
  status: oneOf('status', ['draft', 'published']).notNull(),
  body: jsonb('body').notNull(),
  hero: jsonb('hero'),
  sectionId: text('section_id').references(() => sections.id),
  bylineOverride: text('byline_override'),
  language: text('language').notNull(),
  canonicalUrl: text('canonical_url'),
  seo: jsonb('seo'),
  commentsMode: oneOf('comments_mode', ['open', 'closed', 'hidden']).notNull(),
  source: jsonb('source'),
  revision: integer('revision').notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
  firstPublishedAt: text('first_published_at'),
  publishedAt: text('published_at'),
  contentUpdatedAt: text('content_updated_at'),
  deletedAt: text('deleted_at'),
  plainText: text('plain_text').notNull(),
  /** Resolved captions of the images the article uses (hero + image blocks), for the search index. */
  captions: text('captions').notNull().default(''),
  wordCount: integer('word_count').notNull(),
  readingTimeMinutes: integer('reading_time_minutes').notNull(),
  excerpt: text('excerpt'),
  /**
   * The search index (SQLite: the FTS5 table articles_fts), kept by PostgreSQL itself in the same row write.
   * Weight labels A–D: see SEARCH_WEIGHTS. The configuration is resolved to its oid when the table is made.
   */
  search: tsvector('search').notNull().generatedAlwaysAs(sql.raw(
    `setweight(to_tsvector('${SEARCH_CONFIG}', "headline"), 'A')`
    + ` || setweight(to_tsvector('${SEARCH_CONFIG}', coalesce("standfirst", '')), 'B')`
    + ` || setweight(to_tsvector('${SEARCH_CONFIG}', "plain_text"), 'C')`
    + ` || setweight(to_tsvector('${SEARCH_CONFIG}', "captions"), 'D')`,
  )),
}, (t) => [
  index('articles_live_published_idx').on(t.status, t.deletedAt, t.publishedAt, t.id),
  index('articles_section_published_idx').on(t.sectionId, t.publishedAt, t.id),
  // A section's live articles in order, and their count, from the index alone (the front page of a section).
  index('articles_section_live_idx').on(t.sectionId, t.status, t.deletedAt, t.publishedAt, t.id),
  index('articles_updated_idx').on(t.updatedAt, t.id),
  index('articles_headline_idx').on(t.headline, t.id),
  index('articles_search_idx').using('gin', t.search),
]);

export const articleSlugs = pgTable('article_slugs', {
  slug: text('slug').primaryKey(),
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  createdAt: text('created_at').notNull(),
}, (t) => [index('article_slugs_article_idx').on(t.articleId)]);

export const articleTags = pgTable('article_tags', {
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  tagId: text('tag_id').notNull().references(() => tags.id),
  position: integer('position').notNull(),
}, (t) => [primaryKey({ columns: [t.articleId, t.tagId] }), index('article_tags_tag_idx').on(t.tagId, t.articleId)]);

export const articleAuthors = pgTable('article_authors', {
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  authorId: text('author_id').notNull().references(() => authors.id),
  role: oneOf('role', ['author', 'contributor', 'photographer', 'translator']).notNull(),
  position: integer('position').notNull(),
}, (t) => [primaryKey({ columns: [t.articleId, t.authorId] }), index('article_authors_author_idx').on(t.authorId, t.articleId)]);

/**
 * How many articles each list filter holds, kept by triggers (migrations: 0008_article_counts), so that a page's
 * `total` does not count the filter's rows at every request (issue 7). A row per scope and bucket, for articles
 * that are not deleted. scope: '' (every article), 'type:<type>', 'section:<id>', 'tag:<id>', 'author:<id>'.
 * bucket: the status, except 'unset' for a published article without publishedAt (never live). Scheduled
 * articles are in 'published': readers' totals subtract them (few, counted by the live index).
 */
export const articleCounts = pgTable('article_counts', {
  scope: text('scope').notNull(),
  bucket: text('bucket').notNull(),
  n: integer('n').notNull(),
}, (t) => [primaryKey({ columns: [t.scope, t.bucket] })]);

export const articleRevisions = pgTable('article_revisions', {
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  revision: integer('revision').notNull(),
  createdAt: text('created_at').notNull(),
  actorKeyId: text('actor_key_id'),
  actorName: text('actor_name'),
  actorRole: text('actor_role'),
  note: text('note').notNull(),
  snapshot: jsonb('snapshot').notNull(),
}, (t) => [primaryKey({ columns: [t.articleId, t.revision] })]);

export const corrections = pgTable('corrections', {
  id: text('id').primaryKey(),
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  kind: oneOf('kind', ['correction', 'clarification', 'update', 'retraction']).notNull(),
  text: text('text').notNull(),
  publishedAt: text('published_at').notNull(),
}, (t) => [index('corrections_article_idx').on(t.articleId, t.publishedAt), check('corrections_text_nonempty', sql`length(${t.text}) > 0`)]);

export const media = pgTable('media', {
  id: text('id').primaryKey(),
  // 'upload': bytes stored under MEDIA_DIR by sha256; 'external': a URL we reference and never fetch.
  kind: oneOf('kind', ['upload', 'external']).notNull(),
  externalUrl: text('external_url'),
  sha256: text('sha256'),
  mimeType: text('mime_type'),
  width: integer('width'),
  height: integer('height'),
  bytes: bigint('bytes', { mode: 'number' }),
  filename: text('filename'),
  altText: text('alt_text'),
  caption: jsonb('caption'),
  captionText: text('caption_text'),
  creditText: text('credit_text'),
  creator: text('creator'),
  copyrightNotice: text('copyright_notice'),
  licenseUrl: text('license_url'),
  source: jsonb('source'),
  focalPoint: jsonb('focal_point'),
  takenAt: text('taken_at'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [index('media_created_idx').on(t.createdAt, t.id), index('media_sha_idx').on(t.sha256)]);

/** Derived index of where media is used (article hero = block id 'hero', image blocks), rebuilt on every article write. */
export const mediaUses = pgTable('media_uses', {
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  blockId: text('block_id').notNull(),
  mediaId: text('media_id').notNull(),
}, (t) => [primaryKey({ columns: [t.articleId, t.blockId] }), index('media_uses_media_idx').on(t.mediaId, t.articleId)]);

export const disclaimers = pgTable('disclaimers', {
  id: text('id').primaryKey(),
  key: text('key').notNull().unique(),
  kind: oneOf('kind', ['disclaimer', 'editors-note', 'sponsored', 'advisory', 'legal']).notNull(),
  title: text('title'),
  body: jsonb('body').notNull(),
  placements: jsonb('placements').notNull(),
  appliesToTypes: jsonb('applies_to_types'),
  appliesToSectionIds: jsonb('applies_to_section_ids'),
  active: boolean('active').notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [index('disclaimers_key_idx').on(t.key, t.id)]);

export const articleDisclaimers = pgTable('article_disclaimers', {
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  disclaimerId: text('disclaimer_id').notNull().references(() => disclaimers.id, { onDelete: 'cascade' }),
  placements: jsonb('placements').notNull(),
  suppress: boolean('suppress').notNull(),
  position: integer('position').notNull(),
}, (t) => [primaryKey({ columns: [t.articleId, t.disclaimerId] }), index('article_disclaimers_disclaimer_idx').on(t.disclaimerId)]);

export const relatedLinks = pgTable('related_links', {
  id: text('id').primaryKey(),
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  targetArticleId: text('target_article_id').references(() => articles.id, { onDelete: 'cascade' }),
  url: text('url'),
  label: text('label'),
  position: integer('position').notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [
  uniqueIndex('related_links_target_uq').on(t.articleId, t.targetArticleId),
  uniqueIndex('related_links_url_uq').on(t.articleId, t.url),
  index('related_links_article_idx').on(t.articleId, t.position),
  index('related_links_target_idx').on(t.targetArticleId),
  check('related_links_not_self', sql`${t.targetArticleId} is null or ${t.targetArticleId} <> ${t.articleId}`),
  check('related_links_one_target', sql`(${t.targetArticleId} is null) <> (${t.url} is null)`),
]);

/** Who did what, when: one row per write, never a secret. */
export const auditLog = pgTable('audit_log', {
  id: text('id').primaryKey(),
  at: text('at').notNull(),
  actorKeyId: text('actor_key_id'),
  actorName: text('actor_name'),
  actorRole: text('actor_role'),
  resource: text('resource').notNull(),
  resourceId: text('resource_id').notNull(),
  action: text('action').notNull(),
  revision: integer('revision'),
  requestId: text('request_id'),
}, (t) => [index('audit_at_idx').on(t.at, t.id), index('audit_resource_idx').on(t.resource, t.resourceId, t.at)]);

export const webhooks = pgTable('webhooks', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  events: jsonb('events').notNull(),
  // Kept as is: signing needs the secret itself (it is shown once and never returned again).
  secret: text('secret').notNull(),
  description: text('description'),
  active: boolean('active').notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

/** The outbox: events written in the same transaction as the change they describe. */
export const events = pgTable('events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  resource: text('resource').notNull(),
  resourceId: text('resource_id').notNull(),
  occurredAt: text('occurred_at').notNull(),
  data: jsonb('data').notNull(),
}, (t) => [index('events_resource_idx').on(t.resourceId, t.id)]);

/** One row per (webhook, event), fanned out with the event; the dispatcher claims due rows. */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: text('id').primaryKey(),
  webhookId: text('webhook_id').notNull().references(() => webhooks.id, { onDelete: 'cascade' }),
  eventId: text('event_id').notNull().references(() => events.id, { onDelete: 'cascade' }),
  resourceId: text('resource_id').notNull(),
  status: oneOf('status', ['pending', 'delivering', 'succeeded', 'dead']).notNull(),
  attempts: integer('attempts').notNull(),
  nextAttemptAt: text('next_attempt_at').notNull(),
  lockedUntil: text('locked_until'),
  lastStatusCode: integer('last_status_code'),
  lastError: text('last_error'),
  lastLatencyMs: integer('last_latency_ms'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
  deliveredAt: text('delivered_at'),
}, (t) => [
  index('deliveries_due_idx').on(t.status, t.nextAttemptAt),
  index('deliveries_webhook_idx').on(t.webhookId, t.id),
  index('deliveries_order_idx').on(t.webhookId, t.resourceId, t.id),
]);

/** Idempotency-Key records: the first response to a POST, replayed for the same key and body. */
export const idempotencyKeys = pgTable('idempotency_keys', {
  principal: text('principal').notNull(),
  key: text('key').notNull(),
  method: text('method').notNull(),
  path: text('path').notNull(),
  requestHash: text('request_hash').notNull(),
  state: oneOf('state', ['in-flight', 'committed', 'complete']).notNull(),
  status: integer('status'),
  headers: jsonb('headers'),
  body: text('body'),
  createdAt: text('created_at').notNull(),
  expiresAt: text('expires_at').notNull(),
}, (t) => [primaryKey({ columns: [t.principal, t.key] }), index('idempotency_expires_idx').on(t.expiresAt)]);
