-- The search index also covers the captions of the images an article uses (hero + image blocks), kept in
-- articles.captions by the article write path (and refreshed when a media item's caption changes).
-- FTS5 tables cannot gain a column, so the index is recreated with its triggers and rebuilt.
DROP TRIGGER IF EXISTS `articles_fts_ai`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `articles_fts_ad`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `articles_fts_au`;
--> statement-breakpoint
DROP TABLE IF EXISTS `articles_fts`;
--> statement-breakpoint
-- Backfill for existing articles, with the same rule as src/modules/media/captions.ts: a use's own caption
-- (inline nodes: text, link text, breaks as newlines) when present, none when null, else the media item's.
UPDATE `articles` SET `captions` = coalesce((
  SELECT group_concat(t, char(10) ORDER BY pos) FROM (
    SELECT u.pos, CASE json_type(u.value, '$.caption')
      WHEN 'array' THEN (
        SELECT group_concat(CASE WHEN j.key = 'text' AND j.type = 'text' THEN j.value WHEN j.type = 'object' AND json_extract(j.value, '$.type') = 'break' THEN char(10) END, '' ORDER BY j.id)
        FROM json_tree(u.value, '$.caption') j
      )
      WHEN 'null' THEN NULL
      ELSE (SELECT m.caption_text FROM media m WHERE m.id = json_extract(u.value, '$.mediaId'))
    END AS t
    FROM (
      SELECT 0 AS pos, `articles`.`hero` AS value WHERE `articles`.`hero` IS NOT NULL AND json_type(`articles`.`hero`) = 'object'
      UNION ALL
      SELECT 1 + b.key AS pos, b.value FROM json_each(`articles`.`body`) b WHERE json_extract(b.value, '$.type') = 'image'
    ) u
  ) WHERE t IS NOT NULL AND t <> ''
), '');
--> statement-breakpoint
CREATE VIRTUAL TABLE `articles_fts` USING fts5(headline, standfirst, plain_text, captions, content='articles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `articles_fts_ai` AFTER INSERT ON `articles` BEGIN
  INSERT INTO articles_fts(rowid, headline, standfirst, plain_text, captions) VALUES (new.rowid, new.headline, coalesce(new.standfirst, ''), new.plain_text, new.captions);
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_ad` AFTER DELETE ON `articles` BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, headline, standfirst, plain_text, captions) VALUES ('delete', old.rowid, old.headline, coalesce(old.standfirst, ''), old.plain_text, old.captions);
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_au` AFTER UPDATE OF headline, standfirst, plain_text, captions ON `articles` BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, headline, standfirst, plain_text, captions) VALUES ('delete', old.rowid, old.headline, coalesce(old.standfirst, ''), old.plain_text, old.captions);
  INSERT INTO articles_fts(rowid, headline, standfirst, plain_text, captions) VALUES (new.rowid, new.headline, coalesce(new.standfirst, ''), new.plain_text, new.captions);
END;
--> statement-breakpoint
INSERT INTO articles_fts(articles_fts) VALUES ('rebuild');
