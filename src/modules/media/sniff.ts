import type { Metadata } from 'sharp';
import { loadSharp } from './sharp.js';
import type { IMAGE_TYPES } from './schemas.js';

export type ImageInfo = { mimeType: (typeof IMAGE_TYPES)[number]; width: number; height: number };

/**
 * The real type of a file, from its bytes (never the client's claim or the file name). Only the raster
 * formats a newsroom publishes are accepted: SVG (scriptable), HTML, PDF and the rest are refused.
 */
export async function sniffImage(path: string): Promise<ImageInfo | undefined> {
  // Outside the try: sharp failing to load is the server's fault (a 500, logged), not a file that is no image.
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: 268_402_689 }).metadata();
  } catch {
    return undefined;
  }
  const mimeType = ((): ImageInfo['mimeType'] | undefined => {
    switch (meta.format) {
      case 'jpeg': return 'image/jpeg';
      case 'png': return 'image/png';
      case 'webp': return 'image/webp';
      case 'gif': return 'image/gif';
      case 'heif': return meta.compression === 'av1' ? 'image/avif' : undefined;
      default: return undefined;
    }
  })();
  if (!mimeType || !meta.width || !meta.height) return undefined;
  // EXIF orientations 5-8 swap the displayed width and height.
  const rotated = (meta.orientation ?? 1) >= 5;
  return { mimeType, width: rotated ? meta.height : meta.width, height: rotated ? meta.width : meta.height };
}
