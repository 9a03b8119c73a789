import type { Transactions } from '../../db/client.js';
import type { Readable } from 'node:stream';
import { ulid } from 'ulid';
import { z } from 'zod';
import { inlineText } from '../../content/derive.js';
import type { Viewer } from '../../db/visibility.js';
import { AppError, conflict, type FieldError, notFound } from '../../errors.js';
import { precondition, versionTag } from '../../http/concurrency.js';
import { decodeCursor, encodeCursor } from '../../http/pagination.js';
import type { Journal } from '../audit/journal.js';
import { articleStatus } from '../articles/present.js';
import type { ArticleRow } from '../articles/repository.js';
import { articleCaptions, captionMediaIds, type CaptionSource } from './captions.js';
import type { Media } from './display.js';
import { createRenditionService, type RenditionQuery, srcset } from './renditions.js';
import type { MediaFilter, MediaInsert, MediaRepository, MediaRow } from './repository.js';
import { ExternalMediaSchema, type MediaPatchSchema } from './schemas.js';
import { sniffImage, type ImageInfo } from './sniff.js';
import type { MediaStore } from './storage.js';

export type MediaMetadata = Omit<z.output<typeof ExternalMediaSchema>, 'url'>;
export const MediaMetadataSchema = ExternalMediaSchema.omit({ url: true });

export type Staged = { tmp: string; sha256: string; bytes: number } & ImageInfo;

export type MediaDeps = {
  repo: MediaRepository; store: MediaStore; now: () => Date; apiUrl: string; tx: Transactions['tx'];
  /** The allow-list of rendition widths (config.renditionWidths), ascending. */
  renditionWidths: readonly number[];
  journal: Journal;
};

const mediaEvent = (m: Media, action: string) => ({ type: `media.${action}`, data: { id: m.id, kind: m.kind, url: m.url, mimeType: m.mimeType } });

const metadataColumns = (m: Partial<Record<keyof MediaMetadata, unknown>>): Partial<MediaInsert> => {
  const out: Partial<MediaInsert> = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === undefined) continue;
    (out as Record<string, unknown>)[k] = v;
    if (k === 'caption') out.captionText = v === null ? null : inlineText(v as never);
  }
  return out;
};

export function createMediaService(deps: MediaDeps) {
  const { repo, store } = deps;
  const iso = () => deps.now().toISOString();
  const renditions = createRenditionService({ store, widths: deps.renditionWidths });
  const fileUrl = (id: string) => `${deps.apiUrl}/v1/media/${id}/file`;

  const toMedia = (r: MediaRow): Media => ({
    id: r.id,
    kind: r.kind,
    url: r.kind === 'external' ? r.externalUrl! : fileUrl(r.id),
    mimeType: r.mimeType, width: r.width, height: r.height, bytes: r.bytes, sha256: r.sha256,
    altText: r.altText, caption: (r.caption as Media['caption']) ?? null, creditText: r.creditText, creator: r.creator,
    copyrightNotice: r.copyrightNotice, licenseUrl: r.licenseUrl, source: (r.source as Media['source']) ?? null,
    focalPoint: (r.focalPoint as Media['focalPoint']) ?? null, takenAt: r.takenAt, createdAt: r.createdAt, updatedAt: r.updatedAt,
    renditions: r.kind === 'upload' && r.width && r.height ? srcset(fileUrl(r.id), r.width, r.height, deps.renditionWidths) : [],
  });

  async function mustGet(id: string, viewer: Viewer): Promise<MediaRow> {
    const row = await repo.get(id);
    if (!row || (viewer.anonymous && !(await repo.isPublic(id, viewer.now)))) throw notFound('Media');
    return row;
  }

  /** Re-derives the caption text the search index holds for these articles (one media lookup for all). */
  async function refreshCaptions(sources: (CaptionSource & { id: string; captions: string })[]): Promise<void> {
    const texts = await repo.captionTexts([...new Set(sources.flatMap(captionMediaIds))]);
    for (const a of sources) {
      const captions = articleCaptions(a, texts);
      if (captions !== a.captions) await repo.setArticleCaptions(a.id, captions);
    }
  }

  const created = async (row: MediaRow): Promise<Media> => {
    const media = toMedia(row);
    await deps.journal.record({ resource: 'media', id: media.id, action: 'created', event: mediaEvent(media, 'created') });
    return media;
  };

  return {
    toMedia,
    get: async (id: string, viewer: Viewer) => toMedia(await mustGet(id, viewer)),
    /** For serving bytes: the row of an uploaded item the viewer may see. */
    async file(id: string, viewer: Viewer): Promise<MediaRow & { sha256: string; mimeType: string; bytes: number }> {
      const row = await mustGet(id, viewer);
      if (row.kind !== 'upload' || !row.sha256 || !row.mimeType || row.bytes === null) {
        throw new AppError(404, 'external-media', 'This media item is hosted elsewhere: fetch its url');
      }
      return row as MediaRow & { sha256: string; mimeType: string; bytes: number };
    },
    getMany: async (ids: readonly string[]) => (await repo.getMany(ids)).map(toMedia),

    async list(filter: MediaFilter, limit: number, cursor: string | undefined) {
      const after = decodeCursor(cursor, 'createdAt');
      const rows = await repo.list(filter, limit + 1, after ? { key: String(after.key), id: after.id } : undefined);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { data: page.map(toMedia), total: await repo.count(filter), nextCursor: rows.length > limit && last ? encodeCursor('createdAt', last.createdAt, last.id) : null };
    },

    /** Upload step 1: bytes streamed to a temp file, size-checked and sniffed (no row yet). */
    async stage(file: Readable & { truncated?: boolean }, maxBytes: number): Promise<Staged> {
      const received = await store.receive(file);
      if (file.truncated) {
        await store.discard(received.tmp);
        throw new AppError(413, 'file-too-large', `The file is larger than the limit of ${maxBytes} bytes`, [{ pointer: '/body/file', message: 'too large', code: 'file-too-large' }]);
      }
      const info = await sniffImage(received.tmp);
      if (!info) {
        await store.discard(received.tmp);
        throw new AppError(415, 'unsupported-image-type', 'The file is not a JPEG, PNG, WebP, GIF or AVIF image', [{ pointer: '/body/file', message: 'unsupported image type', code: 'unsupported-image-type' }]);
      }
      return { ...received, ...info };
    },

    discard: (staged: Staged) => store.discard(staged.tmp),

    /** Upload step 2: the file moves to its content address, then the row is written. */
    async finishUpload(staged: Staged, filename: string | undefined, metadata: MediaMetadata): Promise<Media> {
      await store.commit(staged.tmp, staged.sha256);
      const at = iso();
      return deps.tx(async () => created(await repo.insert({
        id: ulid(), kind: 'upload', sha256: staged.sha256, bytes: staged.bytes, mimeType: staged.mimeType, width: staged.width, height: staged.height,
        filename: filename?.slice(0, 255) ?? null, createdAt: at, updatedAt: at, ...metadataColumns(metadata),
      })));
    },

    open: (row: { sha256: string }, range?: { start: number; end: number }) => store.open(row.sha256, range),

    /** A rendition of a row from `file()`: the plan now (400 on bad parameters; enough for ETag/304), the bytes on `load()`. */
    async rendition(row: MediaRow & { sha256: string; mimeType: string }, query: RenditionQuery, accept: string | undefined) {
      const source = { sha256: row.sha256, mimeType: row.mimeType, width: row.width, height: row.height, focalPoint: (row.focalPoint as Media['focalPoint']) ?? null };
      const plan = await renditions.plan(source, query, accept);
      return { plan, load: () => renditions.load(source, plan) };
    },

    async createExternal(input: z.output<typeof ExternalMediaSchema>): Promise<Media> {
      const { url, ...metadata } = input;
      const at = iso();
      return deps.tx(async () => created(await repo.insert({ id: ulid(), kind: 'external', externalUrl: url, createdAt: at, updatedAt: at, ...metadataColumns(metadata) })));
    },

    async update(id: string, patch: z.output<typeof MediaPatchSchema>): Promise<Media> {
      return deps.tx(async () => {
        const current = await repo.get(id);
        if (!current) throw notFound('Media');
        precondition(versionTag(current));
        const row = (await repo.update(id, { ...metadataColumns(patch), updatedAt: iso() }))!;
        // Articles that inherit this caption are searchable by it: their index follows in the same transaction.
        if (patch.caption !== undefined) await refreshCaptions(await repo.captionSources(await repo.articleIdsUsing(id)));
        const media = toMedia(row);
        await deps.journal.record({ resource: 'media', id, action: 'updated', event: mediaEvent(media, 'updated') });
        return media;
      });
    },

    async remove(id: string, force: boolean): Promise<void> {
      const row = await deps.tx(async () => {
        const current = await repo.get(id);
        if (!current) throw notFound('Media');
        precondition(versionTag(current));
        const uses = await repo.activeUseCount(id);
        if (uses > 0 && !force) throw conflict('media-in-use', `The media item is used ${uses} time(s) by articles; pass force=true to delete it anyway`);
        const users = await repo.articleIdsUsing(id);
        await repo.delete(id);
        await refreshCaptions(await repo.captionSources(users));
        await deps.journal.record({ resource: 'media', id, action: 'deleted', event: mediaEvent(toMedia(current), 'deleted') });
        return current;
      });
      // The bytes go after the commit (file I/O stays outside the transaction), once no row has this hash.
      if (row.sha256 && (await repo.countWithHash(row.sha256)) === 0) await store.remove(row.sha256);
    },

    async usage(id: string) {
      if (!(await repo.get(id))) throw notFound('Media');
      const now = iso();
      return (await repo.usage(id)).map((u) => ({ articleId: u.articleId, blockId: u.blockId, headline: u.headline, status: u.deletedAt ? 'deleted' : articleStatus(u, now) }));
    },

    /**
     * Article write hook, before the row is stored: the caption text the search index holds for this hero
     * and body. Part of the row the article writes, so the full-text index is written once per write.
     */
    async articleColumns(content: CaptionSource): Promise<{ captions: string }> {
      return { captions: articleCaptions(content, await repo.captionTexts(captionMediaIds(content))) };
    },

    /** Article write hook: the use index (hero + image blocks) is rebuilt with every write (`created`: none to delete yet). */
    async indexArticle(row: ArticleRow, created = false): Promise<void> {
      const hero = row.hero as { mediaId: string } | null;
      const blocks = row.body as { type: string; id: string; mediaId?: string }[];
      const uses = blocks.flatMap((b) => (b.type === 'image' && b.mediaId ? [{ blockId: b.id, mediaId: b.mediaId }] : []));
      await repo.setUses(row.id, hero ? [{ blockId: 'hero', mediaId: hero.mediaId }, ...uses] : uses, created);
    },

    /** Article reference check: every media id in hero and image blocks exists. */
    async checkArticleMedia(input: { hero?: { mediaId: string } | null | undefined; body?: readonly { type: string; mediaId?: string }[] | undefined }): Promise<FieldError[]> {
      const refs: { pointer: string; id: string }[] = [];
      if (input.hero) refs.push({ pointer: '/body/hero/mediaId', id: input.hero.mediaId });
      input.body?.forEach((b, i) => b.type === 'image' && b.mediaId && refs.push({ pointer: `/body/body/${i}/mediaId`, id: b.mediaId }));
      if (!refs.length) return [];
      const found = await repo.existing(refs.map((r) => r.id));
      return refs.filter((r) => !found.has(r.id)).map((r) => ({ pointer: r.pointer, message: 'no such media', code: 'unknown-reference' }));
    },
  };
}

export type MediaService = ReturnType<typeof createMediaService>;
