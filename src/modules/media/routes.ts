import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, badRequest } from '../../errors.js';
import { sendPage } from '../../http/pagination.js';
import { IdParamsSchema, ProblemSchema } from '../../http/schemas.js';
import { textInput } from '../../http/validator.js';
import { viewerOf } from '../../http/visibility.js';
import { hasRenditionParams } from './renditions.js';
import {
  ExternalMediaSchema, IMAGE_TYPES, MediaListQuerySchema, MediaListSchema, MediaPatchSchema, MediaSchema, MediaUsageSchema, RenditionQuerySchema,
} from './schemas.js';
import { MediaMetadataSchema, type MediaMetadata, type Staged } from './service.js';

const tags = ['media'];
const err = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ProblemSchema]));

const UploadFormSchema = z
  .object({
    file: z.string().meta({ format: 'binary', description: 'The image: JPEG, PNG, WebP, GIF or AVIF (sniffed from the bytes).' }),
    altText: z.string().optional().meta({ description: 'Default alternative text (up to 1,000 characters).' }),
    caption: z.string().optional().meta({ description: 'Plain text, or a JSON array of inline nodes.' }),
    creditText: z.string().optional().meta({ description: 'The display credit line, e.g. `Korea Pool / Reuters`.' }),
    creator: z.string().optional().meta({ description: 'The photographer or artist.' }),
    copyrightNotice: z.string().optional().meta({ description: 'The rights holder\'s notice, e.g. `© Korea Pool / Reuters`.' }),
    licenseUrl: z.string().optional().meta({ description: 'The licence terms (an absolute http(s) URL).' }),
    source: z.string().optional().meta({ description: 'JSON: {"name": "...", "category": "wires"}.' }),
    focalPoint: z.string().optional().meta({ description: 'JSON: {"x": 0.5, "y": 0.4}.' }),
    takenAt: z.string().optional().meta({ description: 'When the picture was taken (RFC 3339).' }),
  })
  // Multipart bodies are read from the stream in the handler, so Fastify sees a null body here.
  .nullish()
  .meta({ description: 'multipart/form-data: the part `file` and optional metadata parts.' });

const JSON_FIELDS = new Set(['source', 'focalPoint']);

/** Text parts → metadata, validated by the same Zod schema as the JSON form, with pointers. */
function parseMetadataFields(fields: Record<string, string>): MediaMetadata {
  const raw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (JSON_FIELDS.has(name) || (name === 'caption' && value.trimStart().startsWith('['))) {
      try {
        raw[name] = JSON.parse(value);
      } catch {
        throw badRequest(`The ${name} part is not valid JSON`, [{ pointer: `/body/${name}`, message: 'invalid JSON', code: 'invalid-json' }]);
      }
    } else if (name === 'caption') {
      raw[name] = [{ type: 'text', text: value }];
    } else {
      raw[name] = value;
    }
  }
  // The text rules of every route (src/http/validator.ts): on the parts as sent, then on what their JSON decodes to.
  textInput(fields, '/body');
  const parsed = MediaMetadataSchema.safeParse(textInput(raw, '/body'));
  if (!parsed.success) {
    throw badRequest('The upload metadata is invalid', parsed.error.issues.flatMap((i) => {
      const keys = i.code === 'unrecognized_keys' ? i.keys : [undefined];
      return keys.map((k) => ({ pointer: `/body/${[...i.path, ...(k ? [k] : [])].join('/')}`, message: k ? `unknown field "${k}"` : i.message, code: k ? 'unknown-field' : i.code }));
    }));
  }
  return parsed.data;
}

const mediaRoutes: FastifyPluginAsyncZod = async (app) => {
  const media = app.services.media;
  const maxBytes = app.config.mediaMaxBytes;

  app.get('/', {
    config: { role: 'editor' },
    schema: {
      operationId: 'listMedia', tags, summary: 'List media',
      description: 'The media library, newest first; filter by words, exact credit line or type.',
      querystring: MediaListQuerySchema,
      response: { 200: MediaListSchema, ...err(400) },
    },
  }, async (request, reply) => {
    const { limit, cursor, ...filter } = request.query;
    const { data, total, nextCursor } = await media.list(filter, limit, cursor);
    return sendPage(request, reply, data, limit, total, nextCursor);
  });

  app.post('/', {
    config: { role: 'editor' },
    schema: {
      operationId: 'createMedia', tags, summary: 'Upload an image or register an external one',
      description:
        '`multipart/form-data` with the part `file` (plus metadata parts) stores the bytes; the type is sniffed from them ' +
        '(JPEG, PNG, WebP, GIF, AVIF; anything else → 415) and width/height are read from the file. ' +
        '`application/json` with a `url` registers an external image that the server never fetches.',
      body: { content: { 'application/json': { schema: ExternalMediaSchema }, 'multipart/form-data': { schema: UploadFormSchema } } } as never,
      response: { 201: MediaSchema, ...err(400, 413, 415) },
    },
  }, async (request, reply) => {
    let created;
    if (request.isMultipart()) {
      const fields: Record<string, string> = {};
      let staged: Staged | undefined;
      let filename: string | undefined;
      try {
        for await (const part of request.parts({ limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 64 * 1024 } })) {
          if (part.type === 'field') {
            if (part.fieldname in fields) throw badRequest(`The ${part.fieldname} part is repeated`, [{ pointer: `/body/${part.fieldname}`, message: 'repeated', code: 'repeated-field' }]);
            fields[part.fieldname] = String(part.value);
          } else if (part.fieldname !== 'file' || staged) {
            part.file.resume();
            throw badRequest('Send exactly one file, in the part named "file"', [{ pointer: `/body/${part.fieldname}`, message: 'unexpected file part', code: 'unexpected-file' }]);
          } else {
            filename = part.filename;
            staged = await media.stage(part.file, maxBytes);
          }
        }
        if (!staged) throw badRequest('The upload has no file', [{ pointer: '/body/file', message: 'required', code: 'required' }]);
        // The file name is stored (as metadata only): the text rules of every other field apply.
        created = await media.finishUpload(staged, textInput(filename, '/body/file'), parseMetadataFields(fields));
      } catch (e) {
        if (staged) await media.discard(staged);
        throw e;
      }
    } else {
      created = await media.createExternal(request.body as never);
    }
    return reply.code(201).header('location', `/v1/media/${created.id}`).send(created);
  });

  app.get('/:id', {
    schema: {
      operationId: 'getMedia', tags, summary: 'Get media metadata',
      description: 'Anonymous callers see a media item only while a live article uses it (or it is an author portrait).',
      params: IdParamsSchema,
      response: { 200: MediaSchema, ...err(400, 404) },
    },
  }, async (request) => media.get(request.params.id, viewerOf(request)));

  app.patch('/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'updateMedia', tags, summary: 'Update media metadata',
      description: 'Merge-patch of caption, credit, rights, focal point (null clears).',
      params: IdParamsSchema,
      body: MediaPatchSchema,
      response: { 200: MediaSchema, ...err(400, 404, 415) },
    },
  }, async (request) => media.update(request.params.id, request.body));

  app.delete('/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'deleteMedia', tags, summary: 'Delete media',
      description: 'Answers 409 while an article (live, scheduled or draft) uses it, unless `force=true`.',
      params: IdParamsSchema,
      querystring: z.strictObject({
        force: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').meta({ description: '`true` deletes the item even while articles use it (their uses then render without the image).' }),
      }),
      response: { 204: z.null().meta({ description: 'Deleted.' }), ...err(400, 404, 409) },
    },
  }, async (request, reply) => {
    await media.remove(request.params.id, request.query.force);
    return reply.code(204).send(null);
  });

  app.get('/:id/usage', {
    config: { role: 'editor' },
    schema: {
      operationId: 'getMediaUsage', tags, summary: 'Where media is used',
      description: 'Articles that use the item, as hero (`blockId: "hero"`) or in an image block.',
      params: IdParamsSchema,
      response: { 200: MediaUsageSchema, ...err(400, 404) },
    },
  }, async (request) => ({ data: await media.usage(request.params.id) }));

  const binary = (description: string) => ({ description, content: Object.fromEntries(IMAGE_TYPES.map((t) => [t, { schema: z.string().meta({ format: 'binary' }) }])) });

  app.get('/:id/file', {
    // Byte ranges and Accept-negotiated renditions: files are cached by their strong ETag and on disk.
    config: { responseCache: false },
    schema: {
      operationId: 'getMediaFile', tags, summary: 'Get the image bytes, or a rendition',
      description:
        'Without query parameters: the stored bytes with a strong `ETag` (the SHA-256), the sniffed `Content-Type`, `Content-Length` and ' +
        'single-range `Range` support.\n\n' +
        'With `w` (and optionally `h`, `fit`, `format`, `q`): a rendition made with sharp, cropped around the focal point for `fit=cover`, ' +
        'never upscaled, cached on disk, with its own strong `ETag` (from the content hash and the normalised parameters) and no `Range` ' +
        'support. Widths come from an allow-list (RENDITION_WIDTHS); anything else, or an unknown parameter, is a 400. ' +
        '`format=auto` reads the `Accept` header and answers with `Vary: Accept`. Media items list their srcset under `renditions`, ' +
        'linking here. External media answer 404.',
      params: IdParamsSchema,
      querystring: RenditionQuerySchema,
      headers: z.object({ range: z.string().max(200).optional().meta({ description: 'bytes=start-end (original bytes only).' }) }),
      response: {
        200: binary('The image bytes: the original (type sniffed at upload) or the rendition (`format`, else the original\'s; PNG for GIF).'),
        206: z.string().meta({ format: 'binary', description: 'The requested byte range of the original.' }),
        304: z.null().meta({ description: 'Not modified (If-None-Match matched).' }),
        ...err(400, 404, 416),
      },
    },
    // After the app-wide caching hook (which sets Vary for every GET): a negotiated format also varies on Accept.
    onSend: async (request, reply) => {
      if (request.query.format !== 'auto' || reply.statusCode >= 400) return;
      const vary = String(reply.getHeader('vary') ?? '');
      if (!/(^|,)\s*accept\s*(,|$)/i.test(vary)) void reply.header('vary', vary ? `${vary}, Accept` : 'Accept');
    },
  }, async (request, reply) => {
    const viewer = viewerOf(request);
    const row = await media.file(request.params.id, viewer);
    const rendition = hasRenditionParams(request.query) ? await media.rendition(row, request.query, request.headers.accept) : undefined;
    const etag = rendition ? rendition.plan.etag : `"${row.sha256}"`;
    void reply
      .header('etag', etag)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', viewer.anonymous ? 'public, max-age=300' : 'private, no-store');
    if (!rendition) void reply.header('accept-ranges', 'bytes');
    const inm = request.headers['if-none-match'];
    // If-None-Match compares weakly (RFC 9110): W/"x" matches "x".
    if (inm && inm.split(',').some((t) => [etag, `W/${etag}`, '*'].includes(t.trim()))) return reply.code(304).send(null);
    if (rendition) {
      const { body, size } = await rendition.load();
      return reply.type(rendition.plan.mimeType).header('content-length', size).send(body as never);
    }
    const range = parseRange(request.headers.range, row.bytes);
    void reply.type(row.mimeType);
    if (range === 'unsatisfiable') {
      throw new AppError(416, 'range-not-satisfiable', `The file has ${row.bytes} bytes`, undefined, { 'content-range': `bytes */${row.bytes}` });
    }
    if (range) {
      void reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${row.bytes}`).header('content-length', range.end - range.start + 1);
      return reply.send(media.open(row, range) as never);
    }
    void reply.header('content-length', row.bytes);
    return reply.send(media.open(row) as never);
  });
};

/** One `bytes=` range (the only kind browsers and players send); multi-range requests get the whole file. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

export default mediaRoutes;
