-- Full-text index over headline, standfirst and body text, kept in sync by triggers inside the same
-- transaction as every article write. External content: the text lives once, in articles.
CREATE VIRTUAL TABLE `articles_fts` USING fts5(headline, standfirst, plain_text, content='articles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `articles_fts_ai` AFTER INSERT ON `articles` BEGIN
  INSERT INTO articles_fts(rowid, headline, standfirst, plain_text) VALUES (new.rowid, new.headline, coalesce(new.standfirst, ''), new.plain_text);
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_ad` AFTER DELETE ON `articles` BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, headline, standfirst, plain_text) VALUES ('delete', old.rowid, old.headline, coalesce(old.standfirst, ''), old.plain_text);
END;
--> statement-breakpoint
CREATE TRIGGER `articles_fts_au` AFTER UPDATE OF headline, standfirst, plain_text ON `articles` BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, headline, standfirst, plain_text) VALUES ('delete', old.rowid, old.headline, coalesce(old.standfirst, ''), old.plain_text);
  INSERT INTO articles_fts(rowid, headline, standfirst, plain_text) VALUES (new.rowid, new.headline, coalesce(new.standfirst, ''), new.plain_text);
END;
