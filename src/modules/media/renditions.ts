import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { loadSharp } from './sharp.js';
import type { z } from 'zod';
import { badRequest } from '../../errors.js';
import type { RenditionQuerySchema } from './schemas.js';
import type { MediaStore } from './storage.js';

/**
 * Image renditions: a pure planner (query + the original's metadata → exact output geometry, format,
 * cache key) and a small service that renders a plan with sharp once and keeps it in the media store.
 *
 * Rules the contract leaves open, decided here:
 * - every parameter needs `w`, and `w` must be a configured width: the allow-list bounds the variants;
 * - `h` is 16..4096 and the aspect ratio is bounded (`w/5 <= h <= 2*w`);
 * - nothing is ever upscaled: a crop whose region is smaller than w×h comes out at the region's size
 *   (same aspect ratio), a width above the original gives the original width;
 * - `fit=contain` scales to fit inside the box, without padding (CSS object-fit, not a letterbox);
 * - GIFs become PNG (first frame) unless a format is asked for; `q` does not apply to PNG.
 * Parameters that make no difference (fit without h, q for PNG, two widths both above the original)
 * normalise to the same cache key, so they share one file and one ETag.
 */

export type RenditionQuery = z.output<typeof RenditionQuerySchema>;
export type Source = { sha256: string; mimeType: string; width: number | null; height: number | null; focalPoint: { x: number; y: number } | null };
type Format = 'jpeg' | 'png' | 'webp' | 'avif';
type Region = { left: number; top: number; width: number; height: number };

export type RenditionPlan = {
  width: number;
  height: number;
  format: Format;
  mimeType: string;
  quality: number | null;
  /** `extract`: the focal-point region; `attention`: sharp's saliency crop; `none`: the whole image. */
  crop: { kind: 'extract'; region: Region } | { kind: 'attention' } | { kind: 'none' };
  /** The response depends on the Accept header (format=auto). */
  negotiated: boolean;
  key: string;
  name: string;
  etag: string;
};

const MIME: Record<Format, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', avif: 'image/avif' };
const EXT: Record<Format, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', avif: 'avif' };
const DEFAULT_QUALITY = 80;
const MIN_HEIGHT = 16;
const MAX_HEIGHT = 4096;
/** Part of every cache key: a new libvips or sharp may encode differently, and a strong ETag promises the same bytes. */
let engineKey: Promise<string> | undefined;
const engine = () => (engineKey ??= loadSharp().then((sharp) => `sharp ${sharp.versions.sharp ?? ''} vips ${sharp.versions.vips}`));

/** Whether a height is allowed with a width (the same rule for requests and for the URLs we hand out). */
export const heightAllowed = (w: number, h: number) => h >= MIN_HEIGHT && h <= MAX_HEIGHT && h <= 2 * w && 5 * h >= w;

export const hasRenditionParams = (q: RenditionQuery) => Object.values(q).some((v) => v !== undefined);

/** The srcset list of an upload: one entry per allowed width not wider than the original. */
export function srcset(fileUrl: string, width: number, height: number, widths: readonly number[]) {
  return widths.filter((w) => w <= width).map((w) => ({ width: w, height: Math.max(1, Math.round((height * w) / width)), url: `${fileUrl}?w=${w}` }));
}

/**
 * Crops for JSON-LD (Google asks for 16x9, 4x3 and 1x1): for each ratio the widest allowed width that the
 * crop region of the original can fill without upscaling, so each URL yields exactly that size.
 */
export function aspectCrops(fileUrl: string, width: number, height: number, widths: readonly number[]) {
  return ([[16, 9], [4, 3], [1, 1]] as const).flatMap(([rw, rh]) => {
    const regionWidth = Math.min(width, Math.floor((height * rw) / rh));
    const fits = widths
      .filter((w) => w <= regionWidth)
      .map((w) => ({ w, h: Math.round((w * rh) / rw) }))
      .filter(({ w, h }) => heightAllowed(w, h) && h <= height);
    const best = fits.at(-1);
    return best ? [{ url: `${fileUrl}?w=${best.w}&h=${best.h}&fit=cover`, width: best.w, height: best.h }] : [];
  });
}

/** AVIF, then WebP, when the client lists it with a non-zero q (browsers do; `*` wildcards do not count). */
export function negotiate(accept: string | undefined): 'avif' | 'webp' | undefined {
  if (!accept) return undefined;
  const weights = new Map<string, number>();
  for (const part of accept.toLowerCase().split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    const weight = q ? Number(q.slice(2)) : 1;
    if (type) weights.set(type, Number.isFinite(weight) ? weight : 0);
  }
  const avif = weights.get('image/avif') ?? 0;
  const webp = weights.get('image/webp') ?? 0;
  if (avif > 0 && avif >= webp) return 'avif';
  if (webp > 0) return 'webp';
  return undefined;
}

const defaultFormat = (mimeType: string): Format => {
  switch (mimeType) {
    case 'image/jpeg': return 'jpeg';
    case 'image/webp': return 'webp';
    case 'image/avif': return 'avif';
    default: return 'png';
  }
};

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/** The largest region of the target aspect ratio inside W×H, centred on the focal point as far as the edges allow. */
export function focalRegion(W: number, H: number, w: number, h: number, focal: { x: number; y: number }): Region {
  const wider = W * h >= H * w;
  const width = wider ? Math.max(1, Math.min(W, Math.round((H * w) / h))) : W;
  const height = wider ? H : Math.max(1, Math.min(H, Math.round((W * h) / w)));
  return {
    left: clamp(Math.round(focal.x * W - width / 2), 0, W - width),
    top: clamp(Math.round(focal.y * H - height / 2), 0, H - height),
    width,
    height,
  };
}

/** Validates the parameters against the allow-list and works out exactly what will be made. Throws 400s. */
export function planRendition(src: Source, q: RenditionQuery, accept: string | undefined, widths: readonly number[], engine: string): RenditionPlan {
  if (q.w === undefined) {
    throw badRequest('Rendition parameters need a width', [{ pointer: '/query/w', message: 'required with h, fit, format or q', code: 'required' }]);
  }
  const w = q.w;
  if (!widths.includes(w)) {
    throw badRequest(`w must be one of ${widths.join(', ')}`, [{ pointer: '/query/w', message: `not an allowed width (${widths.join(', ')})`, code: 'width-not-allowed' }]);
  }
  if (q.h !== undefined && !heightAllowed(w, q.h)) {
    throw badRequest('The aspect ratio is out of range: w/5 <= h <= 2*w', [{ pointer: '/query/h', message: `must be between ${Math.max(MIN_HEIGHT, Math.ceil(w / 5))} and ${Math.min(MAX_HEIGHT, 2 * w)} for w=${w}`, code: 'aspect-out-of-range' }]);
  }
  const W = src.width ?? 1;
  const H = src.height ?? 1;

  let width: number;
  let height: number;
  let crop: RenditionPlan['crop'] = { kind: 'none' };
  if (q.h !== undefined && (q.fit ?? 'cover') === 'cover') {
    const region = focalRegion(W, H, w, q.h, src.focalPoint ?? { x: 0.5, y: 0.5 });
    // Never upscale: a region smaller than the box is delivered at its own size.
    [width, height] = region.width >= w ? [w, q.h] : [region.width, region.height];
    crop = src.focalPoint ? { kind: 'extract', region } : { kind: 'attention' };
  } else if (q.h !== undefined) {
    const scale = Math.min(w / W, q.h / H, 1);
    [width, height] = [Math.max(1, Math.round(W * scale)), Math.max(1, Math.round(H * scale))];
  } else {
    width = Math.min(w, W);
    height = Math.max(1, Math.round((H * width) / W));
  }
  if (crop.kind === 'attention' && width === W && height === H) crop = { kind: 'none' };

  const negotiated = q.format === 'auto';
  const format: Format = (negotiated ? negotiate(accept) : (q.format as Format | undefined)) ?? defaultFormat(src.mimeType);
  const quality = format === 'png' ? null : (q.q ?? DEFAULT_QUALITY);
  const cropKey = crop.kind === 'extract' ? `extract ${crop.region.left},${crop.region.top},${crop.region.width},${crop.region.height}` : crop.kind;
  const key = `${engine}|${src.sha256}|${width}x${height}|${cropKey}|${format}|${quality ?? '-'}`;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return { width, height, format, mimeType: MIME[format], quality, crop, negotiated, key, name: `${hash}.${EXT[format]}`, etag: `"${hash}"` };
}

/** Runs a plan on the original (its bytes, or a file path). */
export async function render(original: Buffer | string, plan: RenditionPlan): Promise<Buffer> {
  // autoOrient first: the stored width/height and the focal point are in displayed (EXIF-rotated) orientation.
  const sharp = await loadSharp();
  let img = sharp(original, { limitInputPixels: 268_402_689, autoOrient: true }).timeout({ seconds: 30 });
  if (plan.crop.kind === 'extract') img = img.extract(plan.crop.region);
  img = img.resize(plan.width, plan.height, plan.crop.kind === 'attention' ? { fit: 'cover', position: sharp.strategy.attention } : { fit: 'fill' });
  const quality = plan.quality ?? undefined;
  switch (plan.format) {
    case 'jpeg': return img.flatten({ background: '#ffffff' }).jpeg({ quality, mozjpeg: true }).toBuffer();
    case 'webp': return img.webp({ quality }).toBuffer();
    case 'avif': return img.avif({ quality }).toBuffer();
    case 'png': return img.png({ compressionLevel: 9 }).toBuffer();
  }
}

/** Renders on first request, then serves from the store's rendition cache; one render per rendition at a time. */
export function createRenditionService(deps: { store: MediaStore; widths: readonly number[] }) {
  const { store } = deps;
  const inflight = new Map<string, Promise<Buffer>>();

  return {
    plan: async (src: Source, q: RenditionQuery, accept: string | undefined) => planRendition(src, q, accept, deps.widths, await engine()),

    async load(src: Source, plan: RenditionPlan): Promise<{ body: Buffer | Readable; size: number }> {
      const cached = await store.openRendition(src.sha256, plan.name);
      if (cached) return { body: cached.stream, size: cached.size };
      let pending = inflight.get(plan.key);
      if (!pending) {
        pending = (async () => {
          const bytes = await render(await store.readOriginal(src.sha256), plan);
          await store.writeRendition(src.sha256, plan.name, bytes);
          return bytes;
        })().finally(() => inflight.delete(plan.key));
        inflight.set(plan.key, pending);
      }
      const bytes = await pending;
      return { body: bytes, size: bytes.length };
    },
  };
}

export type RenditionService = ReturnType<typeof createRenditionService>;
