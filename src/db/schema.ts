import { sql } from 'drizzle-orm';
import { type AnySQLiteColumn, index, integer, primaryKey, sqliteTable, text, uniqueIndex, check } from 'drizzle-orm/sqlite-core';

// Times are stored as RFC 3339 UTC strings from Date#toISOString: they sort lexicographically.

export const apiKeys = sqliteTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  role: text('role', { enum: ['editor', 'admin'] }).notNull(),
  prefix: text('prefix').notNull(),
  hash: text('hash').notNull().unique(),
  createdAt: text('created_at').notNull(),
  lastUsedAt: text('last_used_at'),
  revokedAt: text('revoked_at'),
});

export const authors = sqliteTable('authors', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  bio: text('bio'),
  url: text('url'),
  imageMediaId: text('image_media_id'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [index('authors_name_idx').on(t.name, t.id)]);

export const sections = sqliteTable('sections', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  parentId: text('parent_id').references((): AnySQLiteColumn => sections.id),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [index('sections_name_idx').on(t.name, t.id), index('sections_parent_idx').on(t.parentId)]);

export const tags = sqliteTable('tags', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [index('tags_name_idx').on(t.name, t.id)]);

export const articles = sqliteTable('articles', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  headline: text('headline').notNull(),
  standfirst: text('standfirst'),
  kicker: text('kicker'),
  type: text('type', { enum: ['news', 'opinion', 'analysis', 'feature', 'sponsored'] }).notNull(),
  // 'published' with a future published_at reads as 'scheduled': no job has to flip it.
  status: text('status', { enum: ['draft', 'published'] }).notNull(),
  body: text('body', { mode: 'json' }).notNull(),
  hero: text('hero', { mode: 'json' }),
  sectionId: text('section_id').references(() => sections.id),
  bylineOverride: text('byline_override'),
  language: text('language').notNull(),
  canonicalUrl: text('canonical_url'),
  seo: text('seo', { mode: 'json' }),
  commentsMode: text('comments_mode', { enum: ['open', 'closed', 'hidden'] }).notNull(),
  source: text('source', { mode: 'json' }),
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
}, (t) => [
  index('articles_live_published_idx').on(t.status, t.deletedAt, t.publishedAt, t.id),
  index('articles_section_published_idx').on(t.sectionId, t.publishedAt, t.id),
  // A section's live articles in order, and their count, from the index alone (the front page of a section).
  index('articles_section_live_idx').on(t.sectionId, t.status, t.deletedAt, t.publishedAt, t.id),
  index('articles_updated_idx').on(t.updatedAt, t.id),
  index('articles_headline_idx').on(t.headline, t.id),
]);

export const articleSlugs = sqliteTable('article_slugs', {
  slug: text('slug').primaryKey(),
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  createdAt: text('created_at').notNull(),
}, (t) => [index('article_slugs_article_idx').on(t.articleId)]);

export const articleTags = sqliteTable('article_tags', {
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  tagId: text('tag_id').notNull().references(() => tags.id),
  position: integer('position').notNull(),
}, (t) => [primaryKey({ columns: [t.articleId, t.tagId] }), index('article_tags_tag_idx').on(t.tagId, t.articleId)]);

export const articleAuthors = sqliteTable('article_authors', {
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  authorId: text('author_id').notNull().references(() => authors.id),
  role: text('role', { enum: ['author', 'contributor', 'photographer', 'translator'] }).notNull(),
  position: integer('position').notNull(),
}, (t) => [primaryKey({ columns: [t.articleId, t.authorId] }), index('article_authors_author_idx').on(t.authorId, t.articleId)]);

/**
 * How many articles each list filter holds, kept by triggers (migrations: 0008_article_counts), so that a page's
 * `total` does not count the filter's rows at every request (issue 7). A row per scope and bucket, for articles
 * that are not deleted. scope: '' (every article), 'type:<type>', 'section:<id>', 'tag:<id>', 'author:<id>'.
 * bucket: the status, except 'unset' for a published article without publishedAt (never live). Scheduled
 * articles are in 'published': readers' totals subtract them (few, counted by the live index).
 */
export const articleCounts = sqliteTable('article_counts', {
  scope: text('scope').notNull(),
  bucket: text('bucket').notNull(),
  n: integer('n').notNull(),
}, (t) => [primaryKey({ columns: [t.scope, t.bucket] })]);

export const articleRevisions = sqliteTable('article_revisions', {
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  revision: integer('revision').notNull(),
  createdAt: text('created_at').notNull(),
  actorKeyId: text('actor_key_id'),
  actorName: text('actor_name'),
  actorRole: text('actor_role'),
  note: text('note').notNull(),
  snapshot: text('snapshot', { mode: 'json' }).notNull(),
}, (t) => [primaryKey({ columns: [t.articleId, t.revision] })]);

export const corrections = sqliteTable('corrections', {
  id: text('id').primaryKey(),
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  kind: text('kind', { enum: ['correction', 'clarification', 'update', 'retraction'] }).notNull(),
  text: text('text').notNull(),
  publishedAt: text('published_at').notNull(),
}, (t) => [index('corrections_article_idx').on(t.articleId, t.publishedAt), check('corrections_text_nonempty', sql`length(${t.text}) > 0`)]);

export const media = sqliteTable('media', {
  id: text('id').primaryKey(),
  // 'upload': bytes stored under MEDIA_DIR by sha256; 'external': a URL we reference and never fetch.
  kind: text('kind', { enum: ['upload', 'external'] }).notNull(),
  externalUrl: text('external_url'),
  sha256: text('sha256'),
  mimeType: text('mime_type'),
  width: integer('width'),
  height: integer('height'),
  bytes: integer('bytes'),
  filename: text('filename'),
  altText: text('alt_text'),
  caption: text('caption', { mode: 'json' }),
  captionText: text('caption_text'),
  creditText: text('credit_text'),
  creator: text('creator'),
  copyrightNotice: text('copyright_notice'),
  licenseUrl: text('license_url'),
  source: text('source', { mode: 'json' }),
  focalPoint: text('focal_point', { mode: 'json' }),
  takenAt: text('taken_at'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [index('media_created_idx').on(t.createdAt, t.id), index('media_sha_idx').on(t.sha256)]);

/** Derived index of where media is used (article hero = block id 'hero', image blocks), rebuilt on every article write. */
export const mediaUses = sqliteTable('media_uses', {
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  blockId: text('block_id').notNull(),
  mediaId: text('media_id').notNull(),
}, (t) => [primaryKey({ columns: [t.articleId, t.blockId] }), index('media_uses_media_idx').on(t.mediaId, t.articleId)]);

export const disclaimers = sqliteTable('disclaimers', {
  id: text('id').primaryKey(),
  key: text('key').notNull().unique(),
  kind: text('kind', { enum: ['disclaimer', 'editors-note', 'sponsored', 'advisory', 'legal'] }).notNull(),
  title: text('title'),
  body: text('body', { mode: 'json' }).notNull(),
  placements: text('placements', { mode: 'json' }).notNull(),
  appliesToTypes: text('applies_to_types', { mode: 'json' }),
  appliesToSectionIds: text('applies_to_section_ids', { mode: 'json' }),
  active: integer('active', { mode: 'boolean' }).notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [index('disclaimers_key_idx').on(t.key, t.id)]);

export const articleDisclaimers = sqliteTable('article_disclaimers', {
  articleId: text('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  disclaimerId: text('disclaimer_id').notNull().references(() => disclaimers.id, { onDelete: 'cascade' }),
  placements: text('placements', { mode: 'json' }).notNull(),
  suppress: integer('suppress', { mode: 'boolean' }).notNull(),
  position: integer('position').notNull(),
}, (t) => [primaryKey({ columns: [t.articleId, t.disclaimerId] }), index('article_disclaimers_disclaimer_idx').on(t.disclaimerId)]);

export const relatedLinks = sqliteTable('related_links', {
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
export const auditLog = sqliteTable('audit_log', {
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

export const webhooks = sqliteTable('webhooks', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  events: text('events', { mode: 'json' }).notNull(),
  // Kept as is: signing needs the secret itself (it is shown once and never returned again).
  secret: text('secret').notNull(),
  description: text('description'),
  active: integer('active', { mode: 'boolean' }).notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

/** The outbox: events written in the same transaction as the change they describe. */
export const events = sqliteTable('events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  resource: text('resource').notNull(),
  resourceId: text('resource_id').notNull(),
  occurredAt: text('occurred_at').notNull(),
  data: text('data', { mode: 'json' }).notNull(),
}, (t) => [index('events_resource_idx').on(t.resourceId, t.id)]);

/** One row per (webhook, event), fanned out with the event; the dispatcher claims due rows. */
export const webhookDeliveries = sqliteTable('webhook_deliveries', {
  id: text('id').primaryKey(),
  webhookId: text('webhook_id').notNull().references(() => webhooks.id, { onDelete: 'cascade' }),
  eventId: text('event_id').notNull().references(() => events.id, { onDelete: 'cascade' }),
  resourceId: text('resource_id').notNull(),
  status: text('status', { enum: ['pending', 'delivering', 'succeeded', 'dead'] }).notNull(),
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
export const idempotencyKeys = sqliteTable('idempotency_keys', {
  principal: text('principal').notNull(),
  key: text('key').notNull(),
  method: text('method').notNull(),
  path: text('path').notNull(),
  requestHash: text('request_hash').notNull(),
  state: text('state', { enum: ['in-flight', 'committed', 'complete'] }).notNull(),
  status: integer('status'),
  headers: text('headers', { mode: 'json' }),
  body: text('body'),
  createdAt: text('created_at').notNull(),
  expiresAt: text('expires_at').notNull(),
}, (t) => [primaryKey({ columns: [t.principal, t.key] }), index('idempotency_expires_idx').on(t.expiresAt)]);
