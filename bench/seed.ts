/**
 * Bulk seeder for the benchmark archive. Bench-only: it writes straight into a SQLite file that the
 * server has already migrated (and seeded with the demo column), with prepared statements in large
 * transactions, instead of going through the API one article at a time.
 *
 * The rows are generated in a worker thread (bench/archive.ts) from the same pure functions the write
 * path uses (derive, articleCaptions, toArticle for the revision snapshot), so a seeded article reads
 * exactly like one created through the API. The articles_fts triggers fire on every insert, so search
 * sees the whole archive.
 *
 *   tsx bench/seed.ts <file.db> [--articles N] [--seed S] [--site-url URL]
 */
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { slugify } from '../src/content/slug.js';
import { ulidAt, type Batch, type GeneratorInput } from './archive.js';
import { headline, personName, rng, sentence, titleCase } from './words.js';

export type SeedOptions = {
  file: string;
  articles: number;
  /** PRNG seed: the same seed gives the same archive text. */
  seed?: number;
  /** Must equal the server's SITE_URL (article urls inside the revision snapshots). */
  siteUrl: string;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
};

export type SeedResult = {
  articles: number;
  media: number;
  relatedLinks: number;
  sections: { id: string; slug: string }[];
  authors: number;
  tags: number;
  seconds: number;
  dbBytes: number;
};

const SECTIONS = ['World', 'Politics', 'Business', 'Technology', 'Science', 'Health', 'Sport', 'Culture', 'Environment'];
const AUTHORS = 60;
const TAGS = 300;
const BATCH = 1000;
/** A progress bar on stderr: redrawn in place on a terminal, one line per 10 % otherwise. */
export function progressBar(label: string, total: number, enabled = true) {
  const started = performance.now();
  const tty = process.stderr.isTTY;
  let lastDecile = -1;
  return (done: number) => {
    if (!enabled) return;
    const frac = total ? done / total : 1;
    const secs = (performance.now() - started) / 1000;
    const rate = secs > 0 ? Math.round(done / secs) : 0;
    const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    const width = 30;
    const fill = Math.round(frac * width);
    const line = `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total} ${secs.toFixed(1)}s ${rate}/s eta ${eta}s`;
    if (tty) process.stderr.write(`\r${line}${done >= total ? '\n' : ''}`);
    else {
      const decile = Math.floor(frac * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${line}\n`);
      }
    }
  };
}

export async function seedArchive(options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const random = rng(options.seed ?? 20180110);
  const n = options.articles;
  const db = new Database(options.file);
  // A throwaway file loaded by one writer: no journal, no fsync, a big page cache. WAL again at the end.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  db.pragma('temp_store = MEMORY');
  db.pragma('foreign_keys = ON');

  const nowMs = Date.now();
  const nowIso = new Date(nowMs).toISOString();
  const taken = (table: string) => new Set(db.prepare(`SELECT slug FROM ${table}`).pluck().all() as string[]);

  // --- taxonomy: sections (the demo's Opinion plus nine), authors, tags -------------------------------------
  const insSection = db.prepare('INSERT INTO sections (id, slug, name, parent_id, created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?)');
  const insAuthor = db.prepare('INSERT INTO authors (id, slug, name, bio, url, image_media_id, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, NULL, ?, ?)');
  const insTag = db.prepare('INSERT INTO tags (id, slug, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
  const sections: { id: string; slug: string }[] = [];
  const authorIds: string[] = [];
  const tagIds: string[] = [];
  db.transaction(() => {
    const sectionSlugs = taken('sections');
    for (const name of ['Opinion', ...SECTIONS]) {
      const slug = slugify(name);
      const existing = sectionSlugs.has(slug) ? (db.prepare('SELECT id, slug FROM sections WHERE slug = ?').get(slug) as { id: string; slug: string }) : undefined;
      if (existing) {
        sections.push(existing);
        continue;
      }
      const id = ulidAt(nowMs, random);
      insSection.run(id, slug, name, nowIso, nowIso);
      sections.push({ id, slug });
    }
    const authorSlugs = taken('authors');
    while (authorIds.length < AUTHORS) {
      const name = personName(random);
      const slug = `${slugify(name)}-${authorIds.length + 1}`;
      if (authorSlugs.has(slug)) continue;
      authorSlugs.add(slug);
      const id = ulidAt(nowMs, random);
      insAuthor.run(id, slug, name, sentence(random, 10, 18), nowIso, nowIso);
      authorIds.push(id);
    }
    const tagSlugs = taken('tags');
    while (tagIds.length < TAGS) {
      const name = titleCase(headline(random).split(' ').slice(0, 2).join(' ').toLowerCase());
      const slug = slugify(name);
      if (tagSlugs.has(slug)) continue;
      tagSlugs.add(slug);
      const id = ulidAt(nowMs, random);
      insTag.run(id, slug, name, nowIso, nowIso);
      tagIds.push(id);
    }
  })();

  // --- articles and their rows: generated in a worker thread, inserted here ---------------------------------
  const insert = {
    articles: db.prepare(`INSERT INTO articles (
      id, slug, headline, standfirst, kicker, type, status, body, hero, section_id, byline_override, language, canonical_url, seo,
      comments_mode, source, revision, created_at, updated_at, first_published_at, published_at, content_updated_at, deleted_at,
      plain_text, captions, word_count, reading_time_minutes, excerpt
    ) VALUES (?, ?, ?, ?, ?, ?, 'published', ?, ?, ?, NULL, 'en', NULL, NULL, 'open', NULL, 1, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?)`),
    media: db.prepare(`INSERT INTO media (
      id, kind, external_url, sha256, mime_type, width, height, bytes, filename, alt_text, caption, caption_text, credit_text, creator,
      copyright_notice, license_url, source, focal_point, taken_at, created_at, updated_at
    ) VALUES (?, 'external', ?, NULL, 'image/jpeg', ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?)`),
    uses: db.prepare('INSERT INTO media_uses (article_id, block_id, media_id) VALUES (?, ?, ?)'),
    tags: db.prepare('INSERT INTO article_tags (article_id, tag_id, position) VALUES (?, ?, ?)'),
    authors: db.prepare("INSERT INTO article_authors (article_id, author_id, role, position) VALUES (?, ?, 'author', ?)"),
    revisions: db.prepare("INSERT INTO article_revisions (article_id, revision, created_at, actor_key_id, actor_name, actor_role, note, snapshot) VALUES (?, 1, ?, NULL, NULL, NULL, 'created', ?)"),
  };
  // Media first: the articles' derived captions were computed from them (media_uses has no foreign key to media, but the order reads right).
  const tables = ['media', 'articles', 'uses', 'tags', 'authors', 'revisions'] as const;
  const insertBatch = db.transaction((b: Batch) => {
    for (const t of tables) for (const params of b[t]) insert[t].run(params);
  });

  const generatorInput: GeneratorInput = {
    articles: n, seed: (options.seed ?? 20180110) + 1, siteUrl: options.siteUrl, nowMs,
    opinionSectionId: sections[0]!.id, newsSectionIds: sections.slice(1).map((s) => s.id), authorIds, tagIds,
  };
  // FTS5 flushes its pending terms at every statement savepoint, so indexing row by row through the insert
  // trigger merges segments again and again, more the bigger the index (100,000 articles took over 10 minutes,
  // gdb: fts5SavepointMethod → fts5IndexMergeLevel). Bulk path: the triggers are set aside while loading, the
  // index is rebuilt once from the table, and the same triggers (their SQL read back from the schema) return.
  const ftsTriggers = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'articles' AND name LIKE 'articles_fts_%'").all() as { name: string; sql: string }[];
  for (const t of ftsTriggers) db.exec(`DROP TRIGGER ${JSON.stringify(t.name)}`);
  const ids: string[] = [];
  const publishedAts: string[] = [];
  const bar = progressBar('seeding articles', n, options.progress ?? true);
  const worker = startGenerator(generatorInput);
  try {
    // The worker builds batch k+1 while this thread inserts batch k.
    let pending = worker.request(0, BATCH);
    for (let start = 0; start < n; start += BATCH) {
      const batch = await pending;
      if (start + BATCH < n) pending = worker.request(start + BATCH, BATCH);
      insertBatch(batch);
      ids.push(...batch.ids);
      publishedAts.push(...batch.publishedAts);
      bar(Math.min(n, start + BATCH));
    }
  } finally {
    await worker.stop();
  }
  const ftsStarted = performance.now();
  db.transaction(() => {
    db.exec("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')");
    for (const t of ftsTriggers) db.exec(t.sql);
  })();
  if (options.progress ?? true) process.stderr.write(`full-text index rebuilt in ${((performance.now() - ftsStarted) / 1000).toFixed(1)} s\n`);

  // Three related links per article to other archive articles (a second pass: every target exists by now).
  const insRelated = db.prepare('INSERT INTO related_links (id, article_id, target_article_id, url, label, position, created_at, updated_at) VALUES (?, ?, ?, NULL, NULL, ?, ?, ?)');
  const linkBar = progressBar('related links   ', n, options.progress ?? true);
  let relatedLinks = 0;
  for (let start = 0; start < n; start += BATCH * 10) {
    db.transaction(() => {
      for (let i = start; i < Math.min(n, start + BATCH * 10) && n >= 4; i++) {
        const targets = new Set<number>();
        while (targets.size < 3) {
          const j = Math.floor(random() * n);
          if (j !== i) targets.add(j);
        }
        let pos = 0;
        for (const j of targets) {
          insRelated.run(ulidAt(Date.parse(publishedAts[i]!), random), ids[i], ids[j], pos++, publishedAts[i], publishedAts[i]);
          relatedLinks++;
        }
      }
    })();
    linkBar(Math.min(n, start + BATCH * 10));
  }

  db.pragma('journal_mode = WAL');
  const pageCount = db.pragma('page_count', { simple: true }) as number;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  return {
    articles: n, media: n * 2, relatedLinks, sections, authors: authorIds.length, tags: tagIds.length,
    seconds: (performance.now() - started) / 1000, dbBytes: pageCount * pageSize,
  };
}

/**
 * The generator in a worker thread. Workers do not inherit tsx's loader, so the worker registers it
 * before importing archive.ts (when this file runs as compiled JavaScript the register is harmless).
 */
function startGenerator(input: GeneratorInput) {
  const archive = new URL('./archive.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(archive)}); })`, {
    eval: true, workerData: { generator: input },
  });
  let failure: Error | undefined;
  const waiting: { resolve: (b: Batch) => void; reject: (e: Error) => void }[] = [];
  worker.on('message', (b: Batch) => waiting.shift()?.resolve(b));
  worker.on('error', (e) => {
    failure = e;
    for (const w of waiting.splice(0)) w.reject(e);
  });
  return {
    request(start: number, size: number): Promise<Batch> {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.postMessage({ start, size });
      });
    },
    stop: () => worker.terminate(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { articles: { type: 'string', default: '10000' }, seed: { type: 'string', default: '20180110' }, 'site-url': { type: 'string', default: 'http://localhost:3000' } },
  });
  const file = positionals[0];
  if (!file) {
    process.stderr.write('usage: tsx bench/seed.ts <migrated.db> [--articles N] [--seed S] [--site-url URL]\n');
    process.exit(2);
  }
  const result = await seedArchive({ file, articles: Number(values.articles), seed: Number(values.seed), siteUrl: values['site-url'] });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
