import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { AuthorRow, SectionRow, TagRow } from './db/rows.js';
import { unprocessable } from './errors.js';
import { markIdempotentWrite } from './http/idempotency.js';
import { createJournal } from './modules/audit/journal.js';
import { createJournalRepository } from './modules/audit/repository.js';
import { createApiKeyRepository } from './modules/api-keys/repository.js';
import { createApiKeyService } from './modules/api-keys/service.js';
import { createArticleRepository } from './modules/articles/repository.js';
import { createArticleService, type ArticleDeps } from './modules/articles/service.js';
import { presentArticles } from './modules/articles/present.js';
import { createDisclaimerRepository } from './modules/disclaimers/repository.js';
import { createDisclaimerService } from './modules/disclaimers/service.js';
import { createFeedRepository } from './modules/feeds/repository.js';
import { createFeedService } from './modules/feeds/service.js';
import { expandArticlesMedia } from './modules/media/display.js';
import { createMediaRepository } from './modules/media/repository.js';
import { createMediaService } from './modules/media/service.js';
import { createMediaStore } from './modules/media/storage.js';
import { createRelatedLinkRepository } from './modules/related-links/repository.js';
import { createRelatedLinkService } from './modules/related-links/service.js';
import { createSearchRepository } from './modules/search/repository.js';
import { createSearchService } from './modules/search/service.js';
import { createSluggedRepository } from './modules/shared/slugged-repository.js';
import { createSluggedService } from './modules/shared/slugged-service.js';
import { createWebhookRepository } from './modules/webhooks/repository.js';
import { createWebhookService } from './modules/webhooks/service.js';

/** The composition root: repositories over the one database handle, and the services over them. */
export function createServices(database: Database, config: Config, now: () => Date) {
  // Transactions and SQL come from the database (src/db/database.ts): SQLite in-process or PostgreSQL.
  const { transactions, dialect: d } = database;
  const { tx, readTx } = transactions;
  const repository = transactions.repository;
  const journalRepo = repository(createJournalRepository(d));
  const journal = createJournal(journalRepo, now);
  const paths: Record<string, string> = { article: 'articles', media: 'media', disclaimer: 'disclaimers', author: 'authors', section: 'sections', tag: 'tags', 'api-key': 'api-keys', webhook: 'webhooks' };
  journal.onRecord.push((w) => markIdempotentWrite(d, `/v1/${paths[w.resource]}/${w.id}`));
  journal.onRecord.push(() => database.onWrite());
  const articleRepo = repository(createArticleRepository(d));
  const sectionRepo = repository(createSluggedRepository<SectionRow>(d, d.tables.sections));

  const tagService = createSluggedService(repository(createSluggedRepository<TagRow>(d, d.tables.tags)), {
    label: 'Tag', resource: 'tag',
    blockDelete: async (id) => ((await articleRepo.tagInUse(id)) ? 'The tag is used by articles; remove it from them first' : undefined),
  }, now, { journal, tx });

  const mediaRepo = repository(createMediaRepository(d));
  const authorService = createSluggedService(repository(createSluggedRepository<AuthorRow>(d, d.tables.authors)), {
    check: async (next) =>
      next.imageMediaId && (await mediaRepo.existing([next.imageMediaId])).size === 0
        ? unprocessable('unknown-reference', 'The author image does not exist', [{ pointer: '/body/imageMediaId', message: 'no such media', code: 'unknown-reference' }])
        : undefined,
    label: 'Author', resource: 'author',
    blockDelete: async (id) => ((await articleRepo.authorInUse(id)) ? 'The author is credited on articles; remove the credit first' : undefined),
  }, now, { journal, tx });

  const sectionService = createSluggedService(sectionRepo, {
    label: 'Section', resource: 'section',
    blockDelete: async (id) =>
      (await articleRepo.sectionInUse(id)) ? 'The section holds articles; move them first'
        : (await sectionRepo.hasChildren(id)) ? 'The section has child sections; move or delete them first' : undefined,
    check: async (next, id) => {
      if (!next.parentId) return undefined;
      const pointer = [{ pointer: '/body/parentId', message: 'invalid parent', code: 'invalid-parent' }];
      // Walk up from the new parent: reaching this section again would make a cycle.
      const seen = new Set<string>();
      for (let cur: string | null = next.parentId; cur !== null;) {
        if (cur === id || seen.has(cur)) return unprocessable('section-cycle', 'A section cannot be its own ancestor', pointer);
        const parent = await sectionRepo.get(cur);
        if (!parent) return unprocessable('unknown-reference', 'The parent section does not exist', pointer);
        seen.add(cur);
        cur = parent.parentId;
      }
      return undefined;
    },
  }, now, { journal, tx });

  const taxonomy = { tags: tagService, authors: authorService, sections: sectionService };
  // Modules that extend articles (media, disclaimers, related links) plug into these.
  const articleDeps: ArticleDeps = { repo: articleRepo, taxonomy, tx, now, siteUrl: config.siteUrl, expanders: {}, afterWrite: [], derivedColumns: [], referenceChecks: [], journal };
  const articles = createArticleService(articleDeps);
  const media = createMediaService({ journal, repo: mediaRepo, store: createMediaStore(config), now, apiUrl: config.apiUrl, tx, renditionWidths: config.renditionWidths });
  articleDeps.afterWrite.push((row, created) => media.indexArticle(row, created));
  articleDeps.derivedColumns.push((content) => media.articleColumns(content));
  articleDeps.referenceChecks.push((input) => media.checkArticleMedia(input));
  articleDeps.expanders.media = (page) => expandArticlesMedia(page, media.getMany);
  const disclaimers = createDisclaimerService({ repo: repository(createDisclaimerRepository(d)), tx, now, articles, sections: sectionService, journal });
  articleDeps.expanders.disclaimers = (page) => disclaimers.expand(page);
  const relatedLinks = createRelatedLinkService({ repo: repository(createRelatedLinkRepository(d)), articles, tx, now, siteUrl: config.siteUrl, lookupMedia: (ids) => media.getMany(ids) });
  // Three queries for the whole page: the links of every article, their targets, the targets' hero media.
  articleDeps.expanders.related = async (page, viewer) => {
    const byArticle = await relatedLinks.forArticles(page.map((a) => a.id), viewer);
    return page.map((a) => ({ ...a, related: byArticle.get(a.id) ?? [] }));
  };
  return {
    /** The write transaction every write runs in (also the Idempotency-Key bookkeeping's). */
    tx,
    /** Direct statements outside a repository (Idempotency-Key records) wait for an open transaction through this. */
    outside: transactions.outside,
    ...taxonomy,
    apiKeys: createApiKeyService(repository(createApiKeyRepository(d)), now, journal, tx),
    journal,
    auditLog: journalRepo,
    articles,
    media,
    disclaimers,
    relatedLinks,
    feeds: createFeedService({
      repo: repository(createFeedRepository(d)), present: (rows, include, viewer) => presentArticles(rows, include, viewer, articleDeps),
      now, siteUrl: config.siteUrl, apiUrl: config.apiUrl, siteName: config.siteName,
    }),
    webhooks: createWebhookService({ repo: repository(createWebhookRepository(d)), journal, tx, now, allowedHosts: config.webhookAllowedHosts }),
    search: createSearchService({ repo: repository(createSearchRepository(d)), present: (rows, include, viewer) => presentArticles(rows, include, viewer, articleDeps), tx: readTx }),
  };
}

export type Services = ReturnType<typeof createServices>;
