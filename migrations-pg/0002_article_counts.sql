-- Per-filter article counts kept by triggers: the PostgreSQL side of migrations/0008_article_counts.sql (read
-- its header). Same table, same rules; the link rows of an article deleted outright are deleted by its BEFORE
-- DELETE trigger first, so their own triggers count them out while the article is still there.
-- The counting triggers run once per statement, over its transition tables, and change each counter row once:
-- a per-row trigger updates the same few counter rows once per article, and PostgreSQL keeps every version a
-- transaction writes of a row until it ends, so a statement (or a transaction) that inserts n articles walked
-- O(n) versions per update: 5,000 rows 1.6 s, 10,000 6.0 s, 20,000 21.9 s (the 50,001-article sitemap test took
-- 71 s, the SQLite → PostgreSQL copy of a large archive would have taken hours).
CREATE TABLE "article_counts" (
	"scope" text COLLATE "C" NOT NULL,
	"bucket" text COLLATE "C" NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "article_counts_scope_bucket_pk" PRIMARY KEY("scope","bucket")
);
--> statement-breakpoint
CREATE FUNCTION article_bucket(status text, published_at text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT CASE WHEN status = 'published' AND published_at IS NULL THEN 'unset' ELSE status END $$;
--> statement-breakpoint
INSERT INTO article_counts (scope, bucket, n)
SELECT scope, bucket, count(*) FROM (
  SELECT '' AS scope, article_bucket(a.status, a.published_at) AS bucket FROM articles a WHERE a.deleted_at IS NULL
  UNION ALL SELECT 'type:' || a.type, article_bucket(a.status, a.published_at) FROM articles a WHERE a.deleted_at IS NULL
  UNION ALL SELECT 'section:' || a.section_id, article_bucket(a.status, a.published_at) FROM articles a WHERE a.deleted_at IS NULL AND a.section_id IS NOT NULL
  UNION ALL SELECT 'tag:' || t.tag_id, article_bucket(a.status, a.published_at) FROM article_tags t JOIN articles a ON a.id = t.article_id WHERE a.deleted_at IS NULL
  UNION ALL SELECT 'author:' || l.author_id, article_bucket(a.status, a.published_at) FROM article_authors l JOIN articles a ON a.id = l.article_id WHERE a.deleted_at IS NULL
) counted GROUP BY scope, bucket;
--> statement-breakpoint
-- Statement level: INSERT (new_rows), UPDATE (old_rows, new_rows) and DELETE (old_rows); row level: BEFORE DELETE.
CREATE FUNCTION article_counts_articles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'ROW' THEN
    DELETE FROM article_tags WHERE article_id = OLD.id;
    DELETE FROM article_authors WHERE article_id = OLD.id;
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO article_counts (scope, bucket, n)
    SELECT s, article_bucket(a.status, a.published_at), count(*)::int
    FROM new_rows a, unnest(ARRAY['', 'type:' || a.type, 'section:' || a.section_id]) AS s
    WHERE a.deleted_at IS NULL AND s IS NOT NULL GROUP BY 1, 2
    ON CONFLICT (scope, bucket) DO UPDATE SET n = article_counts.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO article_counts (scope, bucket, n)
    SELECT s, article_bucket(a.status, a.published_at), -count(*)::int
    FROM old_rows a, unnest(ARRAY['', 'type:' || a.type, 'section:' || a.section_id]) AS s
    WHERE a.deleted_at IS NULL AND s IS NOT NULL GROUP BY 1, 2
    ON CONFLICT (scope, bucket) DO UPDATE SET n = article_counts.n + excluded.n;
  ELSE
    -- An article whose bucket, type, section or trashed state changed leaves its old counters (links included)
    -- and joins its new ones; the rest (most updates: a new revision) count nothing.
    INSERT INTO article_counts (scope, bucket, n)
    SELECT s, r.bucket, sum(r.delta)::int
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    CROSS JOIN LATERAL (VALUES
      (o.id, o.type, o.section_id, article_bucket(o.status, o.published_at), -1, o.deleted_at IS NULL),
      (n.id, n.type, n.section_id, article_bucket(n.status, n.published_at), 1, n.deleted_at IS NULL)
    ) AS r(id, type, section_id, bucket, delta, counted),
    unnest(ARRAY['', 'type:' || r.type, 'section:' || r.section_id]
      || ARRAY(SELECT 'tag:' || tag_id FROM article_tags WHERE article_id = r.id UNION ALL SELECT 'author:' || author_id FROM article_authors WHERE article_id = r.id)) AS s
    WHERE (o.status IS DISTINCT FROM n.status OR (o.published_at IS NULL) <> (n.published_at IS NULL)
        OR (o.deleted_at IS NULL) <> (n.deleted_at IS NULL) OR o.type IS DISTINCT FROM n.type OR o.section_id IS DISTINCT FROM n.section_id)
      AND r.counted AND s IS NOT NULL
    GROUP BY 1, 2 HAVING sum(r.delta) <> 0
    ON CONFLICT (scope, bucket) DO UPDATE SET n = article_counts.n + excluded.n;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "article_counts_bd" BEFORE DELETE ON "articles" FOR EACH ROW EXECUTE FUNCTION article_counts_articles();
--> statement-breakpoint
CREATE TRIGGER "article_counts_ai" AFTER INSERT ON "articles" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION article_counts_articles();
--> statement-breakpoint
CREATE TRIGGER "article_counts_au" AFTER UPDATE ON "articles" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION article_counts_articles();
--> statement-breakpoint
CREATE TRIGGER "article_counts_ad" AFTER DELETE ON "articles" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION article_counts_articles();
--> statement-breakpoint
-- A link table (article_tags, article_authors), per statement: TG_ARGV[0] is the scope's prefix, TG_ARGV[1] the
-- linked column. A link counts while its article is there and not trashed; an update that moves nothing
-- (position, role) adds and takes away the same counter, which HAVING drops.
CREATE FUNCTION article_counts_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO article_counts (scope, bucket, n)
    SELECT TG_ARGV[0] || (to_jsonb(l) ->> TG_ARGV[1]), article_bucket(a.status, a.published_at), count(*)::int
    FROM new_rows l JOIN articles a ON a.id = l.article_id WHERE a.deleted_at IS NULL GROUP BY 1, 2
    ON CONFLICT (scope, bucket) DO UPDATE SET n = article_counts.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO article_counts (scope, bucket, n)
    SELECT TG_ARGV[0] || (to_jsonb(l) ->> TG_ARGV[1]), article_bucket(a.status, a.published_at), -count(*)::int
    FROM old_rows l JOIN articles a ON a.id = l.article_id WHERE a.deleted_at IS NULL GROUP BY 1, 2
    ON CONFLICT (scope, bucket) DO UPDATE SET n = article_counts.n + excluded.n;
  ELSE
    INSERT INTO article_counts (scope, bucket, n)
    SELECT scope, bucket, sum(delta)::int FROM (
      SELECT TG_ARGV[0] || (to_jsonb(l) ->> TG_ARGV[1]) AS scope, article_bucket(a.status, a.published_at) AS bucket, -1 AS delta
      FROM old_rows l JOIN articles a ON a.id = l.article_id WHERE a.deleted_at IS NULL
      UNION ALL
      SELECT TG_ARGV[0] || (to_jsonb(l) ->> TG_ARGV[1]), article_bucket(a.status, a.published_at), 1
      FROM new_rows l JOIN articles a ON a.id = l.article_id WHERE a.deleted_at IS NULL
    ) d GROUP BY 1, 2 HAVING sum(delta) <> 0
    ON CONFLICT (scope, bucket) DO UPDATE SET n = article_counts.n + excluded.n;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "article_counts_tags_ai" AFTER INSERT ON "article_tags" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION article_counts_links('tag:', 'tag_id');
--> statement-breakpoint
CREATE TRIGGER "article_counts_tags_au" AFTER UPDATE ON "article_tags" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION article_counts_links('tag:', 'tag_id');
--> statement-breakpoint
CREATE TRIGGER "article_counts_tags_ad" AFTER DELETE ON "article_tags" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION article_counts_links('tag:', 'tag_id');
--> statement-breakpoint
CREATE TRIGGER "article_counts_authors_ai" AFTER INSERT ON "article_authors" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION article_counts_links('author:', 'author_id');
--> statement-breakpoint
CREATE TRIGGER "article_counts_authors_au" AFTER UPDATE ON "article_authors" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION article_counts_links('author:', 'author_id');
--> statement-breakpoint
CREATE TRIGGER "article_counts_authors_ad" AFTER DELETE ON "article_authors" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION article_counts_links('author:', 'author_id');
