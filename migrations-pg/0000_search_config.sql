-- The text search configuration of articles.search (SEARCH_CONFIG in src/db/schema.pg.ts), made before the
-- tables because the generated column names it: 'simple' (lower case, no stemming, like FTS5's unicode61)
-- with the unaccent dictionary in front (like FTS5's remove_diacritics 2 in the SQLite index).
-- unaccent is contrib and trusted (a database owner may create it, no superuser needed). An extension belongs
-- to the whole database: it goes in "public", never in a Broadsheet schema that could be dropped with it in
-- use by another, and an existing one is used wherever it lives. Without it, search is plain 'simple'
-- (accents count) and the migration says so with a warning.
DO $$
DECLARE
  ext_schema text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
    BEGIN
      CREATE EXTENSION unaccent WITH SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'CREATE EXTENSION unaccent failed (%): full-text search will not fold accents', SQLERRM;
    END;
  END IF;
  CREATE TEXT SEARCH CONFIGURATION broadsheet (COPY = pg_catalog.simple);
  SELECT extnamespace::regnamespace::text INTO ext_schema FROM pg_extension WHERE extname = 'unaccent';
  IF ext_schema IS NOT NULL THEN
    EXECUTE format('ALTER TEXT SEARCH CONFIGURATION broadsheet ALTER MAPPING FOR hword, hword_part, word WITH %s.unaccent, pg_catalog.simple', ext_schema);
  END IF;
END
$$;
