-- FTS5 merges index segments as writes add them: `automerge` segments of one level are merged into one segment
-- of the next level, incrementally, a little with every write. The default, 4, rewrites each indexed term about
-- log4(articles) times over the archive's life; 16 halves that (log16). At most 15 segments then wait per level,
-- which a search reads through at no measured cost (the MATCH of a common word at 10,000 articles: 5.9 and
-- 6.0 ms). `crisismerge` (default 16) is the count at which a level is merged all at once, inside the COMMIT
-- of whichever write reached it: at 16 with `automerge` 16 that is every full merge, one 73 ms COMMIT in 96
-- (issue 7), so it goes to 64, out of the incremental merge's way. Measured with 600-word articles in groups of
-- 16 on 10,000: 268 µs of index work per article before, 214 µs after (bench/README.md, "Search index merges").
INSERT INTO `articles_fts`(`articles_fts`, `rank`) VALUES ('automerge', 16);
--> statement-breakpoint
INSERT INTO `articles_fts`(`articles_fts`, `rank`) VALUES ('crisismerge', 64);
