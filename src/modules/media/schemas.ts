import { z } from 'zod';
import { HttpUrlSchema, InlinesSchema, MediaUseSchema } from '../../content/blocks.js';
import { IdSchema, listOf, PagingQuery, TimestampSchema } from '../../http/schemas.js';

export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'] as const;

const SourceCategory = z.enum(['staff', 'wires', 'freelance', 'handout', 'stock', 'other']);
export const MediaSourceSchema = z
  .strictObject({ name: z.string().trim().min(1).max(200), category: SourceCategory })
  .meta({ id: 'MediaSource', description: 'Where the picture comes from.', example: { name: 'Reuters', category: 'wires' } });
export const FocalPointSchema = z
  .strictObject({ x: z.number().min(0).max(1), y: z.number().min(0).max(1) })
  .meta({ id: 'FocalPoint', description: 'The point crops keep in frame, as fractions of width and height.', example: { x: 0.5, y: 0.4 } });

const metadata = {
  altText: z.string().max(1000).meta({ description: 'Default alternative text.' }),
  caption: InlinesSchema.meta({ description: 'Default caption, as inline nodes.' }),
  creditText: z.string().max(500).meta({ description: 'The display credit line.', example: 'Korea Pool / Reuters' }),
  creator: z.string().max(300),
  copyrightNotice: z.string().max(500).meta({ example: '© Korea Pool / Reuters' }),
  licenseUrl: HttpUrlSchema,
  source: MediaSourceSchema,
  focalPoint: FocalPointSchema,
  takenAt: TimestampSchema,
};

export const MediaRenditionSchema = z
  .object({
    width: z.number().int(),
    height: z.number().int(),
    url: z.string().meta({ description: 'The file URL with `?w=`: the original\'s format, scaled to this width.' }),
  })
  .meta({ id: 'MediaRendition', description: 'One srcset candidate.', example: { width: 640, height: 427, url: 'http://localhost:3000/v1/media/01JD3Q8Z6V0R8Y5M2K1N4P7S9T/file?w=640' } });

export const MediaSchema = z
  .object({
    id: IdSchema,
    kind: z.enum(['upload', 'external']).meta({ description: '`upload`: bytes stored here; `external`: a URL referenced, never fetched.' }),
    url: z.string().meta({ description: 'Where to fetch the image: this API\'s file URL for uploads, the external URL otherwise.' }),
    mimeType: z.string().nullable().meta({ description: 'Sniffed from the bytes (null for external media).' }),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    bytes: z.number().int().nullable(),
    sha256: z.string().nullable(),
    altText: z.string().nullable(),
    caption: InlinesSchema.nullable(),
    creditText: z.string().nullable(),
    creator: z.string().nullable(),
    copyrightNotice: z.string().nullable(),
    licenseUrl: z.string().nullable(),
    source: MediaSourceSchema.nullable(),
    focalPoint: FocalPointSchema.nullable(),
    takenAt: TimestampSchema.nullable(),
    renditions: z.array(MediaRenditionSchema).meta({
      description: 'srcset-ready renditions of an upload, narrowest first: one per configured width (RENDITION_WIDTHS) not wider than the original. Empty for external media.',
    }),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'Media', description: 'An image with its default caption, credit and rights.' });

export const MediaListSchema = listOf(MediaSchema, 'MediaList', 'A page of media, newest first.');

export const ExternalMediaSchema = z
  .strictObject({ url: HttpUrlSchema, ...Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, v.optional()])) } as { url: typeof HttpUrlSchema } & { [K in keyof typeof metadata]: z.ZodOptional<(typeof metadata)[K]> })
  .meta({ id: 'NewExternalMedia', description: 'Metadata for an image hosted elsewhere (the server does not fetch it).' });

export const MediaPatchSchema = z
  .strictObject(Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, v.nullable().optional()])) as { [K in keyof typeof metadata]: z.ZodOptional<z.ZodNullable<(typeof metadata)[K]>> })
  .meta({ id: 'MediaPatch', description: 'Changes to media metadata (null clears a field).' });

export const MediaListQuerySchema = z.strictObject({
  ...PagingQuery,
  q: z
    .string()
    .max(200)
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'control characters are not allowed')
    .optional()
    .meta({ description: 'Words in the caption, alt text, credit or creator.' }),
  credit: z.string().max(200).optional().meta({ description: 'Exact credit line.' }),
  mimeType: z.enum(IMAGE_TYPES).optional(),
});

export const RENDITION_FORMATS = ['webp', 'avif', 'jpeg', 'png', 'auto'] as const;

export const RenditionQuerySchema = z
  .strictObject({
    w: z.coerce.number().int().min(1).max(8192).optional().meta({
      description: 'Width in pixels: one of the configured widths (RENDITION_WIDTHS, default 320, 640, 960, 1280, 1920), else 400. ' +
        'Required with any other parameter. Never upscaled: a width above the original gives the original width.',
    }),
    h: z.coerce.number().int().min(16).max(4096).optional().meta({
      description: 'Height in pixels (16..4096, needs `w`); the aspect ratio is bounded: `w/5 <= h <= 2*w`.',
    }),
    fit: z.enum(['cover', 'contain']).optional().meta({
      description: 'With `h`: `cover` (default) crops to exactly w×h around the focal point (or the most salient region without one); ' +
        '`contain` scales to fit inside w×h without cropping or padding. Without `h` it has no effect.',
    }),
    format: z.enum(RENDITION_FORMATS).optional().meta({
      description: 'Output format; default the original\'s (PNG for GIF: renditions are still images). `auto` picks AVIF, then WebP, from the ' +
        '`Accept` header, else the default, and answers with `Vary: Accept`.',
    }),
    q: z.coerce.number().int().min(30).max(95).optional().meta({ description: 'Quality for JPEG, WebP and AVIF, 30..95 (default 80); ignored for PNG.' }),
  })
  .meta({ description: 'Rendition parameters; without any of them the original bytes are served.' });

export const DisplaySchema = z
  .object({
    caption: InlinesSchema.nullable(),
    credit: z.string().nullable(),
    alt: z.string(),
  })
  .meta({ id: 'MediaDisplay', description: 'The caption, credit and alt text to render, with per-use overrides applied.' });

export const ExpandedMediaUseSchema = MediaUseSchema.extend({
  media: MediaSchema.nullable().meta({ description: 'null when the media item no longer exists.' }),
  display: DisplaySchema,
}).meta({ id: 'ExpandedMediaUse', description: 'A media use with its media item and the resolved display values.' });

export const MediaUsageSchema = z
  .object({
    data: z.array(z.object({ articleId: IdSchema, headline: z.string(), status: z.string(), blockId: z.string().meta({ description: '`hero` for the article hero, else the image block id.' }) })),
  })
  .meta({ id: 'MediaUsage', description: 'Where a media item is used.' });
