import { z } from 'zod';
import { HttpUrlSchema, InlinesSchema, MediaUseSchema } from '../../content/blocks.js';
import { IdSchema, listOf, PagingQuery, TimestampSchema } from '../../http/schemas.js';

export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'] as const;

const SourceCategory = z.enum(['staff', 'wires', 'freelance', 'handout', 'stock', 'other']).meta({
  description: 'The kind of supplier: `staff`, `wires` (an agency), `freelance`, `handout` (supplied by the subject), `stock` or `other`; rights and credit rules often depend on it.',
});
export const MediaSourceSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).meta({ description: 'The supplier (agency, photographer\'s outlet, stock library).', example: 'Reuters' }),
    category: SourceCategory,
  })
  .meta({ id: 'MediaSource', description: 'Where the picture comes from.', example: { name: 'Reuters', category: 'wires' } });
export const FocalPointSchema = z
  .strictObject({
    x: z.number().min(0).max(1).meta({ description: 'Horizontal position, 0 (left edge) to 1 (right edge).', example: 0.5 }),
    y: z.number().min(0).max(1).meta({ description: 'Vertical position, 0 (top edge) to 1 (bottom edge).', example: 0.4 }),
  })
  .meta({ id: 'FocalPoint', description: 'The point crops keep in frame, as fractions of width and height.', example: { x: 0.5, y: 0.4 } });

const metadata = {
  altText: z.string().max(1000).meta({ description: 'Default alternative text (up to 1,000 characters): what the picture shows, for screen readers.' }),
  caption: InlinesSchema.meta({ description: 'Default caption, as inline nodes.' }),
  creditText: z.string().max(500).meta({ description: 'The display credit line.', example: 'Korea Pool / Reuters' }),
  creator: z.string().max(300).meta({ description: 'The photographer or artist, when known (IPTC Creator).' }),
  copyrightNotice: z.string().max(500).meta({ description: 'The rights holder\'s notice, as to be printed (IPTC Copyright Notice; JSON-LD `copyrightNotice`).', example: '© Korea Pool / Reuters' }),
  licenseUrl: HttpUrlSchema.meta({ description: 'The licence terms (JSON-LD `license`).' }),
  source: MediaSourceSchema.meta({ description: 'Who supplied the picture.' }),
  focalPoint: FocalPointSchema.meta({ description: 'The point crops keep in frame (renditions with `fit=cover`, JSON-LD crops).' }),
  takenAt: TimestampSchema.meta({ description: 'When the picture was taken (RFC 3339, UTC).' }),
};

export const MediaRenditionSchema = z
  .object({
    width: z.number().int().meta({ description: 'Width in pixels (the `w` descriptor of a srcset).', example: 640 }),
    height: z.number().int().meta({ description: 'Height in pixels, keeping the original\'s aspect ratio.', example: 427 }),
    url: z.string().meta({ description: 'The file URL with `?w=`: the original\'s format, scaled to this width.' }),
  })
  .meta({ id: 'MediaRendition', description: 'One srcset candidate.', example: { width: 640, height: 427, url: 'http://localhost:3000/v1/media/01JD3Q8Z6V0R8Y5M2K1N4P7S9T/file?w=640' } });

export const MediaSchema = z
  .object({
    id: IdSchema.meta({ description: 'The media id (ULID): what `mediaId` of a hero or image block names.' }),
    kind: z.enum(['upload', 'external']).meta({ description: '`upload`: bytes stored here; `external`: a URL referenced, never fetched.' }),
    url: z.string().meta({ description: 'Where to fetch the image: this API\'s file URL for uploads, the external URL otherwise.' }),
    mimeType: z.string().nullable().meta({ description: 'Sniffed from the bytes (null for external media).' }),
    width: z.number().int().nullable().meta({ description: 'Width in pixels, read from the file; null for external media.', example: 1200 }),
    height: z.number().int().nullable().meta({ description: 'Height in pixels, read from the file; null for external media.', example: 800 }),
    bytes: z.number().int().nullable().meta({ description: 'File size in bytes; null for external media.', example: 12021 }),
    sha256: z.string().nullable().meta({ description: 'SHA-256 of the bytes, hex (also the file\'s `ETag`); null for external media.' }),
    altText: z.string().nullable().meta({ description: 'Default alternative text; null when none was given (uses without their own `alt` then render an empty alt).' }),
    caption: InlinesSchema.nullable().meta({ description: 'Default caption, as inline nodes; null when there is none.' }),
    creditText: z.string().nullable().meta({ description: 'The display credit line; null when there is none.', example: 'Korea Pool / Reuters' }),
    creator: z.string().nullable().meta({ description: 'The photographer or artist; null when unknown.' }),
    copyrightNotice: z.string().nullable().meta({ description: 'The rights holder\'s notice; null when there is none.', example: '© Korea Pool / Reuters' }),
    licenseUrl: z.string().nullable().meta({ description: 'The licence terms; null when there are none.' }),
    source: MediaSourceSchema.nullable().meta({ description: 'Who supplied the picture; null when unknown.' }),
    focalPoint: FocalPointSchema.nullable().meta({ description: 'The point crops keep in frame; null: the centre (or the most salient region).' }),
    takenAt: TimestampSchema.nullable().meta({ description: 'When the picture was taken; null when unknown.' }),
    renditions: z.array(MediaRenditionSchema).meta({
      description: 'srcset-ready renditions of an upload, narrowest first: one per configured width (RENDITION_WIDTHS) not wider than the original. Empty for external media.',
    }),
    createdAt: TimestampSchema.meta({ description: 'When the item was uploaded or registered (RFC 3339, UTC).' }),
    updatedAt: TimestampSchema.meta({ description: 'The last metadata change (RFC 3339, UTC); part of the `ETag` of the metadata.' }),
  })
  .meta({ id: 'Media', description: 'An image with its default caption, credit and rights.' });

export const MediaListSchema = listOf(MediaSchema, 'MediaList', 'A page of media, newest first.');

export const ExternalMediaSchema = z
  .strictObject({
    url: HttpUrlSchema.meta({ description: 'Where the image lives (an absolute http(s) URL): the server never fetches it; front ends load it from there.', example: 'https://images.example.org/2018/01/panmunjom-talks.jpg' }),
    ...Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, v.optional()])),
  } as { url: typeof HttpUrlSchema } & { [K in keyof typeof metadata]: z.ZodOptional<(typeof metadata)[K]> })
  .meta({ id: 'NewExternalMedia', description: 'Metadata for an image hosted elsewhere (the server does not fetch it).' });

export const MediaPatchSchema = z
  .strictObject(Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, v.nullable().optional().meta({ description: `${v.description ?? ''} null clears it.`.trim() })])) as { [K in keyof typeof metadata]: z.ZodOptional<z.ZodNullable<(typeof metadata)[K]>> })
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
  mimeType: z.enum(IMAGE_TYPES).optional().meta({ description: 'Only items of this (sniffed) type.' }),
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
    caption: InlinesSchema.nullable().meta({ description: 'The caption to print: the use\'s override, else the media caption; null when hidden or absent.' }),
    credit: z.string().nullable().meta({ description: 'The credit to print: the use\'s override, else the media `creditText`; null when hidden or absent.', example: 'Korea Pool / Reuters' }),
    alt: z.string().meta({ description: 'The alt text to use: the use\'s override, else the media `altText`, else empty (a decorative image).' }),
  })
  .meta({ id: 'MediaDisplay', description: 'The caption, credit and alt text to render, with per-use overrides applied.' });

export const ExpandedMediaUseSchema = MediaUseSchema.extend({
  media: MediaSchema.nullable().meta({ description: 'null when the media item no longer exists.' }),
  display: DisplaySchema.meta({ description: 'The caption, credit and alt text to render, overrides applied.' }),
}).meta({ id: 'ExpandedMediaUse', description: 'A media use with its media item and the resolved display values.' });

export const MediaUsageSchema = z
  .object({
    data: z
      .array(
        z.object({
          articleId: IdSchema.meta({ description: 'The article that uses the item.' }),
          headline: z.string().meta({ description: 'Its headline.' }),
          status: z.string().meta({ description: 'Its publication state (`draft`, `scheduled`, `published`); trashed articles are not listed.' }),
          blockId: z.string().meta({ description: '`hero` for the article hero, else the image block id.' }),
        }),
      )
      .meta({ description: 'One entry per use (an article can use an item several times).' }),
  })
  .meta({ id: 'MediaUsage', description: 'Where a media item is used.' });
