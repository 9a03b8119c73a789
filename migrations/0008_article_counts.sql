-- Per-filter article counts kept by triggers (issue 7): a list's `total` reads a counter instead of counting the
-- filter's rows at every request, which grew with the archive (87 µs per 1,000 articles of a section). The table
-- is described in src/db/schema.ts (`articleCounts`), the reading in src/modules/articles/repository.ts (`count`).
-- Articles that are not deleted count once in each of their scopes ('', type, section, each tag, each author)
-- under their bucket (status; 'unset' for published without published_at). Tag and author scopes follow the
-- link rows; an article's own scopes follow the article. Before an article is deleted outright, its link rows
-- are deleted first (their triggers count them out while the article is still there), then the article's own
-- scopes; the foreign keys' cascade then finds nothing left. Rows whose count falls to 0 stay.
CREATE TABLE `article_counts` (
	`scope` text NOT NULL,
	`bucket` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`scope`, `bucket`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO article_counts (scope, bucket, n)
SELECT scope, bucket, count(*) FROM (
  SELECT '' AS scope, CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END AS bucket FROM articles a WHERE a.deleted_at IS NULL
  UNION ALL SELECT 'type:' || a.type, CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END FROM articles a WHERE a.deleted_at IS NULL
  UNION ALL SELECT 'section:' || a.section_id, CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END FROM articles a WHERE a.deleted_at IS NULL AND a.section_id IS NOT NULL
  UNION ALL SELECT 'tag:' || t.tag_id, CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END FROM article_tags t JOIN articles a ON a.id = t.article_id WHERE a.deleted_at IS NULL
  UNION ALL SELECT 'author:' || l.author_id, CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END FROM article_authors l JOIN articles a ON a.id = l.article_id WHERE a.deleted_at IS NULL
) GROUP BY scope, bucket;
--> statement-breakpoint
CREATE TRIGGER `article_counts_ai` AFTER INSERT ON `articles` WHEN new.deleted_at IS NULL BEGIN
  INSERT INTO article_counts (scope, bucket, n)
    SELECT scope, CASE WHEN new.status = 'published' AND new.published_at IS NULL THEN 'unset' ELSE new.status END, 1 FROM (SELECT '' AS scope UNION ALL SELECT 'type:' || new.type UNION ALL SELECT 'section:' || new.section_id) WHERE scope IS NOT NULL AND new.deleted_at IS NULL
    ON CONFLICT (scope, bucket) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `article_counts_au` AFTER UPDATE OF status, published_at, deleted_at, type, section_id ON `articles`
WHEN old.status IS NOT new.status OR (old.published_at IS NULL) <> (new.published_at IS NULL)
  OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL) OR old.type IS NOT new.type OR old.section_id IS NOT new.section_id BEGIN
  UPDATE article_counts SET n = n - 1
    WHERE old.deleted_at IS NULL AND bucket = CASE WHEN old.status = 'published' AND old.published_at IS NULL THEN 'unset' ELSE old.status END AND scope IN (SELECT '' AS scope UNION ALL SELECT 'type:' || old.type UNION ALL SELECT 'section:' || old.section_id UNION ALL SELECT 'tag:' || tag_id FROM article_tags WHERE article_id = old.id UNION ALL SELECT 'author:' || author_id FROM article_authors WHERE article_id = old.id);
  INSERT INTO article_counts (scope, bucket, n)
    SELECT scope, CASE WHEN new.status = 'published' AND new.published_at IS NULL THEN 'unset' ELSE new.status END, 1 FROM (SELECT '' AS scope UNION ALL SELECT 'type:' || new.type UNION ALL SELECT 'section:' || new.section_id UNION ALL SELECT 'tag:' || tag_id FROM article_tags WHERE article_id = new.id UNION ALL SELECT 'author:' || author_id FROM article_authors WHERE article_id = new.id) WHERE scope IS NOT NULL AND new.deleted_at IS NULL
    ON CONFLICT (scope, bucket) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `article_counts_bd` BEFORE DELETE ON `articles` BEGIN
  DELETE FROM article_tags WHERE article_id = old.id;
  DELETE FROM article_authors WHERE article_id = old.id;
  UPDATE article_counts SET n = n - 1 WHERE old.deleted_at IS NULL AND bucket = CASE WHEN old.status = 'published' AND old.published_at IS NULL THEN 'unset' ELSE old.status END AND scope IN (SELECT '' AS scope UNION ALL SELECT 'type:' || old.type UNION ALL SELECT 'section:' || old.section_id);
END;
--> statement-breakpoint
CREATE TRIGGER `article_counts_tag_ai` AFTER INSERT ON `article_tags` BEGIN
  INSERT INTO article_counts (scope, bucket, n)
    SELECT 'tag:' || new.tag_id, CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END, 1 FROM articles a WHERE a.id = new.article_id AND a.deleted_at IS NULL
    ON CONFLICT (scope, bucket) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `article_counts_tag_ad` AFTER DELETE ON `article_tags` BEGIN
  UPDATE article_counts SET n = n - 1 WHERE scope = 'tag:' || old.tag_id
    AND bucket = (SELECT CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END FROM articles a WHERE a.id = old.article_id AND a.deleted_at IS NULL);
END;
--> statement-breakpoint
CREATE TRIGGER `article_counts_tag_au` AFTER UPDATE OF article_id, tag_id ON `article_tags` BEGIN
  UPDATE article_counts SET n = n - 1 WHERE scope = 'tag:' || old.tag_id
    AND bucket = (SELECT CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END FROM articles a WHERE a.id = old.article_id AND a.deleted_at IS NULL);
  INSERT INTO article_counts (scope, bucket, n)
    SELECT 'tag:' || new.tag_id, CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END, 1 FROM articles a WHERE a.id = new.article_id AND a.deleted_at IS NULL
    ON CONFLICT (scope, bucket) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `article_counts_author_ai` AFTER INSERT ON `article_authors` BEGIN
  INSERT INTO article_counts (scope, bucket, n)
    SELECT 'author:' || new.author_id, CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END, 1 FROM articles a WHERE a.id = new.article_id AND a.deleted_at IS NULL
    ON CONFLICT (scope, bucket) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `article_counts_author_ad` AFTER DELETE ON `article_authors` BEGIN
  UPDATE article_counts SET n = n - 1 WHERE scope = 'author:' || old.author_id
    AND bucket = (SELECT CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END FROM articles a WHERE a.id = old.article_id AND a.deleted_at IS NULL);
END;
--> statement-breakpoint
CREATE TRIGGER `article_counts_author_au` AFTER UPDATE OF article_id, author_id ON `article_authors` BEGIN
  UPDATE article_counts SET n = n - 1 WHERE scope = 'author:' || old.author_id
    AND bucket = (SELECT CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END FROM articles a WHERE a.id = old.article_id AND a.deleted_at IS NULL);
  INSERT INTO article_counts (scope, bucket, n)
    SELECT 'author:' || new.author_id, CASE WHEN a.status = 'published' AND a.published_at IS NULL THEN 'unset' ELSE a.status END, 1 FROM articles a WHERE a.id = new.article_id AND a.deleted_at IS NULL
    ON CONFLICT (scope, bucket) DO UPDATE SET n = n + 1;
END;
