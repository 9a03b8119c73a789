-- Per-filter article counts kept by triggers: the PostgreSQL side of migrations/0008_article_counts.sql (read
-- its header). Same table, same rules; the link rows of an article deleted outright are deleted by its BEFORE
-- DELETE trigger first, so their own triggers count them out while the article is still there.
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
CREATE FUNCTION article_counts_add(scopes text[], b text, delta integer) RETURNS void LANGUAGE sql AS $$
  INSERT INTO article_counts (scope, bucket, n) SELECT s, b, delta FROM unnest(scopes) AS s WHERE s IS NOT NULL
  ON CONFLICT (scope, bucket) DO UPDATE SET n = article_counts.n + excluded.n
$$;
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
CREATE FUNCTION article_counts_articles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  linked text[];
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM article_tags WHERE article_id = OLD.id;
    DELETE FROM article_authors WHERE article_id = OLD.id;
    IF OLD.deleted_at IS NULL THEN
      PERFORM article_counts_add(ARRAY['', 'type:' || OLD.type, 'section:' || OLD.section_id], article_bucket(OLD.status, OLD.published_at), -1);
    END IF;
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.deleted_at IS NULL THEN
      PERFORM article_counts_add(ARRAY['', 'type:' || NEW.type, 'section:' || NEW.section_id], article_bucket(NEW.status, NEW.published_at), 1);
    END IF;
    RETURN NEW;
  END IF;
  IF OLD.status IS NOT DISTINCT FROM NEW.status AND (OLD.published_at IS NULL) = (NEW.published_at IS NULL)
    AND (OLD.deleted_at IS NULL) = (NEW.deleted_at IS NULL) AND OLD.type IS NOT DISTINCT FROM NEW.type
    AND OLD.section_id IS NOT DISTINCT FROM NEW.section_id THEN
    RETURN NEW;
  END IF;
  linked := ARRAY(SELECT 'tag:' || tag_id FROM article_tags WHERE article_id = NEW.id
    UNION ALL SELECT 'author:' || author_id FROM article_authors WHERE article_id = NEW.id);
  IF OLD.deleted_at IS NULL THEN
    PERFORM article_counts_add(ARRAY['', 'type:' || OLD.type, 'section:' || OLD.section_id] || linked, article_bucket(OLD.status, OLD.published_at), -1);
  END IF;
  IF NEW.deleted_at IS NULL THEN
    PERFORM article_counts_add(ARRAY['', 'type:' || NEW.type, 'section:' || NEW.section_id] || linked, article_bucket(NEW.status, NEW.published_at), 1);
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER "article_counts_bd" BEFORE DELETE ON "articles" FOR EACH ROW EXECUTE FUNCTION article_counts_articles();
--> statement-breakpoint
CREATE TRIGGER "article_counts_aiu" AFTER INSERT OR UPDATE ON "articles" FOR EACH ROW EXECUTE FUNCTION article_counts_articles();
--> statement-breakpoint
-- A link row (article_tags, article_authors): TG_ARGV[0] is the scope's prefix, TG_ARGV[1] the linked column.
CREATE FUNCTION article_counts_links() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  b text;
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    SELECT article_bucket(a.status, a.published_at) INTO b FROM articles a WHERE a.id = OLD.article_id AND a.deleted_at IS NULL;
    IF b IS NOT NULL THEN PERFORM article_counts_add(ARRAY[TG_ARGV[0] || (to_jsonb(OLD) ->> TG_ARGV[1])], b, -1); END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT article_bucket(a.status, a.published_at) INTO b FROM articles a WHERE a.id = NEW.article_id AND a.deleted_at IS NULL;
    IF b IS NOT NULL THEN PERFORM article_counts_add(ARRAY[TG_ARGV[0] || (to_jsonb(NEW) ->> TG_ARGV[1])], b, 1); END IF;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "article_counts_tags" AFTER INSERT OR DELETE OR UPDATE OF article_id, tag_id ON "article_tags" FOR EACH ROW EXECUTE FUNCTION article_counts_links('tag:', 'tag_id');
--> statement-breakpoint
CREATE TRIGGER "article_counts_authors" AFTER INSERT OR DELETE OR UPDATE OF article_id, author_id ON "article_authors" FOR EACH ROW EXECUTE FUNCTION article_counts_links('author:', 'author_id');
