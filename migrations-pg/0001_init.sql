CREATE TABLE "api_keys" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"role" text COLLATE "C" NOT NULL,
	"prefix" text COLLATE "C" NOT NULL,
	"hash" text COLLATE "C" NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"last_used_at" text COLLATE "C",
	"revoked_at" text COLLATE "C",
	CONSTRAINT "api_keys_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "article_authors" (
	"article_id" text COLLATE "C" NOT NULL,
	"author_id" text COLLATE "C" NOT NULL,
	"role" text COLLATE "C" NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "article_authors_article_id_author_id_pk" PRIMARY KEY("article_id","author_id")
);
--> statement-breakpoint
CREATE TABLE "article_disclaimers" (
	"article_id" text COLLATE "C" NOT NULL,
	"disclaimer_id" text COLLATE "C" NOT NULL,
	"placements" jsonb NOT NULL,
	"suppress" boolean NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "article_disclaimers_article_id_disclaimer_id_pk" PRIMARY KEY("article_id","disclaimer_id")
);
--> statement-breakpoint
CREATE TABLE "article_revisions" (
	"article_id" text COLLATE "C" NOT NULL,
	"revision" integer NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"actor_key_id" text COLLATE "C",
	"actor_name" text COLLATE "C",
	"actor_role" text COLLATE "C",
	"note" text COLLATE "C" NOT NULL,
	"snapshot" jsonb NOT NULL,
	CONSTRAINT "article_revisions_article_id_revision_pk" PRIMARY KEY("article_id","revision")
);
--> statement-breakpoint
CREATE TABLE "article_slugs" (
	"slug" text COLLATE "C" PRIMARY KEY NOT NULL,
	"article_id" text COLLATE "C" NOT NULL,
	"created_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "article_tags" (
	"article_id" text COLLATE "C" NOT NULL,
	"tag_id" text COLLATE "C" NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "article_tags_article_id_tag_id_pk" PRIMARY KEY("article_id","tag_id")
);
--> statement-breakpoint
CREATE TABLE "articles" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"slug" text COLLATE "C" NOT NULL,
	"headline" text COLLATE "C" NOT NULL,
	"standfirst" text COLLATE "C",
	"kicker" text COLLATE "C",
	"type" text COLLATE "C" NOT NULL,
	"status" text COLLATE "C" NOT NULL,
	"body" jsonb NOT NULL,
	"hero" jsonb,
	"section_id" text COLLATE "C",
	"byline_override" text COLLATE "C",
	"language" text COLLATE "C" NOT NULL,
	"canonical_url" text COLLATE "C",
	"seo" jsonb,
	"comments_mode" text COLLATE "C" NOT NULL,
	"source" jsonb,
	"revision" integer NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL,
	"first_published_at" text COLLATE "C",
	"published_at" text COLLATE "C",
	"content_updated_at" text COLLATE "C",
	"deleted_at" text COLLATE "C",
	"plain_text" text COLLATE "C" NOT NULL,
	"captions" text COLLATE "C" DEFAULT '' NOT NULL,
	"word_count" integer NOT NULL,
	"reading_time_minutes" integer NOT NULL,
	"excerpt" text COLLATE "C",
	"search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('broadsheet', "headline"), 'A') || setweight(to_tsvector('broadsheet', coalesce("standfirst", '')), 'B') || setweight(to_tsvector('broadsheet', "plain_text"), 'C') || setweight(to_tsvector('broadsheet', "captions"), 'D')) STORED NOT NULL,
	CONSTRAINT "articles_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"at" text COLLATE "C" NOT NULL,
	"actor_key_id" text COLLATE "C",
	"actor_name" text COLLATE "C",
	"actor_role" text COLLATE "C",
	"resource" text COLLATE "C" NOT NULL,
	"resource_id" text COLLATE "C" NOT NULL,
	"action" text COLLATE "C" NOT NULL,
	"revision" integer,
	"request_id" text COLLATE "C"
);
--> statement-breakpoint
CREATE TABLE "authors" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"slug" text COLLATE "C" NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"bio" text COLLATE "C",
	"url" text COLLATE "C",
	"image_media_id" text COLLATE "C",
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL,
	CONSTRAINT "authors_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "corrections" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"article_id" text COLLATE "C" NOT NULL,
	"kind" text COLLATE "C" NOT NULL,
	"text" text COLLATE "C" NOT NULL,
	"published_at" text COLLATE "C" NOT NULL,
	CONSTRAINT "corrections_text_nonempty" CHECK (length("corrections"."text") > 0)
);
--> statement-breakpoint
CREATE TABLE "disclaimers" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"kind" text COLLATE "C" NOT NULL,
	"title" text COLLATE "C",
	"body" jsonb NOT NULL,
	"placements" jsonb NOT NULL,
	"applies_to_types" jsonb,
	"applies_to_section_ids" jsonb,
	"active" boolean NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL,
	CONSTRAINT "disclaimers_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"type" text COLLATE "C" NOT NULL,
	"resource" text COLLATE "C" NOT NULL,
	"resource_id" text COLLATE "C" NOT NULL,
	"occurred_at" text COLLATE "C" NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"principal" text COLLATE "C" NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"method" text COLLATE "C" NOT NULL,
	"path" text COLLATE "C" NOT NULL,
	"request_hash" text COLLATE "C" NOT NULL,
	"state" text COLLATE "C" NOT NULL,
	"status" integer,
	"headers" jsonb,
	"body" text COLLATE "C",
	"created_at" text COLLATE "C" NOT NULL,
	"expires_at" text COLLATE "C" NOT NULL,
	CONSTRAINT "idempotency_keys_principal_key_pk" PRIMARY KEY("principal","key")
);
--> statement-breakpoint
CREATE TABLE "media" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"kind" text COLLATE "C" NOT NULL,
	"external_url" text COLLATE "C",
	"sha256" text COLLATE "C",
	"mime_type" text COLLATE "C",
	"width" integer,
	"height" integer,
	"bytes" bigint,
	"filename" text COLLATE "C",
	"alt_text" text COLLATE "C",
	"caption" jsonb,
	"caption_text" text COLLATE "C",
	"credit_text" text COLLATE "C",
	"creator" text COLLATE "C",
	"copyright_notice" text COLLATE "C",
	"license_url" text COLLATE "C",
	"source" jsonb,
	"focal_point" jsonb,
	"taken_at" text COLLATE "C",
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "media_uses" (
	"article_id" text COLLATE "C" NOT NULL,
	"block_id" text COLLATE "C" NOT NULL,
	"media_id" text COLLATE "C" NOT NULL,
	CONSTRAINT "media_uses_article_id_block_id_pk" PRIMARY KEY("article_id","block_id")
);
--> statement-breakpoint
CREATE TABLE "related_links" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"article_id" text COLLATE "C" NOT NULL,
	"target_article_id" text COLLATE "C",
	"url" text COLLATE "C",
	"label" text COLLATE "C",
	"position" integer NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL,
	CONSTRAINT "related_links_not_self" CHECK ("related_links"."target_article_id" is null or "related_links"."target_article_id" <> "related_links"."article_id"),
	CONSTRAINT "related_links_one_target" CHECK (("related_links"."target_article_id" is null) <> ("related_links"."url" is null))
);
--> statement-breakpoint
CREATE TABLE "sections" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"slug" text COLLATE "C" NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"parent_id" text COLLATE "C",
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL,
	CONSTRAINT "sections_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "tags" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"slug" text COLLATE "C" NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL,
	CONSTRAINT "tags_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"webhook_id" text COLLATE "C" NOT NULL,
	"event_id" text COLLATE "C" NOT NULL,
	"resource_id" text COLLATE "C" NOT NULL,
	"status" text COLLATE "C" NOT NULL,
	"attempts" integer NOT NULL,
	"next_attempt_at" text COLLATE "C" NOT NULL,
	"locked_until" text COLLATE "C",
	"last_status_code" integer,
	"last_error" text COLLATE "C",
	"last_latency_ms" integer,
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL,
	"delivered_at" text COLLATE "C"
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"url" text COLLATE "C" NOT NULL,
	"events" jsonb NOT NULL,
	"secret" text COLLATE "C" NOT NULL,
	"description" text COLLATE "C",
	"active" boolean NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
ALTER TABLE "article_authors" ADD CONSTRAINT "article_authors_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_authors" ADD CONSTRAINT "article_authors_author_id_authors_id_fk" FOREIGN KEY ("author_id") REFERENCES "authors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_disclaimers" ADD CONSTRAINT "article_disclaimers_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_disclaimers" ADD CONSTRAINT "article_disclaimers_disclaimer_id_disclaimers_id_fk" FOREIGN KEY ("disclaimer_id") REFERENCES "disclaimers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_revisions" ADD CONSTRAINT "article_revisions_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_slugs" ADD CONSTRAINT "article_slugs_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_tags" ADD CONSTRAINT "article_tags_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_tags" ADD CONSTRAINT "article_tags_tag_id_tags_id_fk" FOREIGN KEY ("tag_id") REFERENCES "tags"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "articles" ADD CONSTRAINT "articles_section_id_sections_id_fk" FOREIGN KEY ("section_id") REFERENCES "sections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "corrections" ADD CONSTRAINT "corrections_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "media_uses" ADD CONSTRAINT "media_uses_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "related_links" ADD CONSTRAINT "related_links_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "related_links" ADD CONSTRAINT "related_links_target_article_id_articles_id_fk" FOREIGN KEY ("target_article_id") REFERENCES "articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sections" ADD CONSTRAINT "sections_parent_id_sections_id_fk" FOREIGN KEY ("parent_id") REFERENCES "sections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "article_authors_author_idx" ON "article_authors" USING btree ("author_id","article_id");--> statement-breakpoint
CREATE INDEX "article_disclaimers_disclaimer_idx" ON "article_disclaimers" USING btree ("disclaimer_id");--> statement-breakpoint
CREATE INDEX "article_slugs_article_idx" ON "article_slugs" USING btree ("article_id");--> statement-breakpoint
CREATE INDEX "article_tags_tag_idx" ON "article_tags" USING btree ("tag_id","article_id");--> statement-breakpoint
CREATE INDEX "articles_live_published_idx" ON "articles" USING btree ("status","deleted_at","published_at","id");--> statement-breakpoint
CREATE INDEX "articles_section_published_idx" ON "articles" USING btree ("section_id","published_at","id");--> statement-breakpoint
CREATE INDEX "articles_section_live_idx" ON "articles" USING btree ("section_id","status","deleted_at","published_at","id");--> statement-breakpoint
CREATE INDEX "articles_updated_idx" ON "articles" USING btree ("updated_at","id");--> statement-breakpoint
CREATE INDEX "articles_headline_idx" ON "articles" USING btree ("headline","id");--> statement-breakpoint
CREATE INDEX "articles_search_idx" ON "articles" USING gin ("search");--> statement-breakpoint
CREATE INDEX "audit_at_idx" ON "audit_log" USING btree ("at","id");--> statement-breakpoint
CREATE INDEX "audit_resource_idx" ON "audit_log" USING btree ("resource","resource_id","at");--> statement-breakpoint
CREATE INDEX "authors_name_idx" ON "authors" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "corrections_article_idx" ON "corrections" USING btree ("article_id","published_at");--> statement-breakpoint
CREATE INDEX "disclaimers_key_idx" ON "disclaimers" USING btree ("key","id");--> statement-breakpoint
CREATE INDEX "events_resource_idx" ON "events" USING btree ("resource_id","id");--> statement-breakpoint
CREATE INDEX "idempotency_expires_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "media_created_idx" ON "media" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "media_sha_idx" ON "media" USING btree ("sha256");--> statement-breakpoint
CREATE INDEX "media_uses_media_idx" ON "media_uses" USING btree ("media_id","article_id");--> statement-breakpoint
CREATE UNIQUE INDEX "related_links_target_uq" ON "related_links" USING btree ("article_id","target_article_id");--> statement-breakpoint
CREATE UNIQUE INDEX "related_links_url_uq" ON "related_links" USING btree ("article_id","url");--> statement-breakpoint
CREATE INDEX "related_links_article_idx" ON "related_links" USING btree ("article_id","position");--> statement-breakpoint
CREATE INDEX "related_links_target_idx" ON "related_links" USING btree ("target_article_id");--> statement-breakpoint
CREATE INDEX "sections_name_idx" ON "sections" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "sections_parent_idx" ON "sections" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "tags_name_idx" ON "tags" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "deliveries_due_idx" ON "webhook_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "deliveries_webhook_idx" ON "webhook_deliveries" USING btree ("webhook_id","id");--> statement-breakpoint
CREATE INDEX "deliveries_order_idx" ON "webhook_deliveries" USING btree ("webhook_id","resource_id","id");