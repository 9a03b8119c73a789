-- Article inserts reach the search index once per transaction instead of once per row (issue 7). FTS5 writes
-- its pending terms to disk as a new index segment at every savepoint, and SQLite opens one for nearly every
-- statement of a transaction: each article insert made a segment of its own (a tenth of a write's time, and
-- merge work later). Now the insert trigger only records the row in `articles_fts_pending`, and the
-- transaction indexes every recorded row in one statement just before COMMIT (src/db/client.ts, `beforeCommit`;
-- the SQL is `flushSearchIndex` in src/db/dialect.ts), so a group of writes makes one segment. Same
-- transaction, same atomicity: after any crash a row is in the index exactly when it is in the table.
-- A row still pending is never in the index: an update leaves it to the flush, a delete just forgets it.
CREATE TABLE `articles_fts_pending` (`rowid` integer PRIMARY KEY NOT NULL);
--> statement-breakpoint
DROP TRIGGER IF EXISTS `articles_fts_ai`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `articles_fts_ad`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `articles_fts_au`;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_ai` AFTER INSERT ON `articles` BEGIN
  INSERT INTO articles_fts_pending(rowid) VALUES (new.rowid);
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_ad` AFTER DELETE ON `articles` BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, headline, standfirst, plain_text, captions)
    SELECT 'delete', old.rowid, old.headline, coalesce(old.standfirst, ''), old.plain_text, old.captions
    WHERE NOT EXISTS (SELECT 1 FROM articles_fts_pending WHERE rowid = old.rowid);
  DELETE FROM articles_fts_pending WHERE rowid = old.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_au` AFTER UPDATE OF headline, standfirst, plain_text, captions ON `articles`
WHEN NOT EXISTS (SELECT 1 FROM articles_fts_pending WHERE rowid = old.rowid) BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, headline, standfirst, plain_text, captions) VALUES ('delete', old.rowid, old.headline, coalesce(old.standfirst, ''), old.plain_text, old.captions);
  INSERT INTO articles_fts(rowid, headline, standfirst, plain_text, captions) VALUES (new.rowid, new.headline, coalesce(new.standfirst, ''), new.plain_text, new.captions);
END;
