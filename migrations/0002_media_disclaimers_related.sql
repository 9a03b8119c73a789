CREATE TABLE `article_disclaimers` (
	`article_id` text NOT NULL,
	`disclaimer_id` text NOT NULL,
	`placements` text NOT NULL,
	`suppress` integer NOT NULL,
	`position` integer NOT NULL,
	PRIMARY KEY(`article_id`, `disclaimer_id`),
	FOREIGN KEY (`article_id`) REFERENCES `articles`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`disclaimer_id`) REFERENCES `disclaimers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `article_disclaimers_disclaimer_idx` ON `article_disclaimers` (`disclaimer_id`);--> statement-breakpoint
CREATE TABLE `disclaimers` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`kind` text NOT NULL,
	`title` text,
	`body` text NOT NULL,
	`placements` text NOT NULL,
	`applies_to_types` text,
	`applies_to_section_ids` text,
	`active` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `disclaimers_key_unique` ON `disclaimers` (`key`);--> statement-breakpoint
CREATE INDEX `disclaimers_key_idx` ON `disclaimers` (`key`,`id`);--> statement-breakpoint
CREATE TABLE `media` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`external_url` text,
	`sha256` text,
	`mime_type` text,
	`width` integer,
	`height` integer,
	`bytes` integer,
	`filename` text,
	`alt_text` text,
	`caption` text,
	`caption_text` text,
	`credit_text` text,
	`creator` text,
	`copyright_notice` text,
	`license_url` text,
	`source` text,
	`focal_point` text,
	`taken_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `media_created_idx` ON `media` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `media_sha_idx` ON `media` (`sha256`);--> statement-breakpoint
CREATE TABLE `media_uses` (
	`article_id` text NOT NULL,
	`block_id` text NOT NULL,
	`media_id` text NOT NULL,
	PRIMARY KEY(`article_id`, `block_id`),
	FOREIGN KEY (`article_id`) REFERENCES `articles`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `media_uses_media_idx` ON `media_uses` (`media_id`,`article_id`);--> statement-breakpoint
CREATE TABLE `related_links` (
	`id` text PRIMARY KEY NOT NULL,
	`article_id` text NOT NULL,
	`target_article_id` text,
	`url` text,
	`label` text,
	`position` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`article_id`) REFERENCES `articles`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`target_article_id`) REFERENCES `articles`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "related_links_not_self" CHECK("related_links"."target_article_id" is null or "related_links"."target_article_id" <> "related_links"."article_id"),
	CONSTRAINT "related_links_one_target" CHECK(("related_links"."target_article_id" is null) <> ("related_links"."url" is null))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `related_links_target_uq` ON `related_links` (`article_id`,`target_article_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `related_links_url_uq` ON `related_links` (`article_id`,`url`);--> statement-breakpoint
CREATE INDEX `related_links_article_idx` ON `related_links` (`article_id`,`position`);--> statement-breakpoint
CREATE INDEX `related_links_target_idx` ON `related_links` (`target_article_id`);