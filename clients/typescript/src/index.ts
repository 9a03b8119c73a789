/**
 * @broadsheet/client: typed helpers over openapi-fetch for the Broadsheet API.
 *
 * `./api.ts` is generated from openapi/openapi.json (`npm run client`); this file is written by hand.
 * Every helper throws a `BroadsheetError` for a non-2xx answer; `client.raw` is the full typed
 * openapi-fetch client for every other call (it returns `{ data, error, response }` and does not throw).
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './api.js';

export type { paths, components, operations } from './api.js';

type Schemas = components['schemas'];

/** An article as the API answers it (expansions such as `section`, `tags`, `bodyHtml` appear with `include`). */
export type Article = Schemas['Article'];
/** A page of articles: `{ data: Article[]; page: { limit, nextCursor, total } }`. */
export type ArticleList = Schemas['ArticleList'];
/** Paging information of a list; `nextCursor` is null on the last page. */
export type Page = Schemas['Page'];
export type Section = Schemas['Section'];
export type Author = Schemas['Author'];
export type Tag = Schemas['Tag'];
export type Media = Schemas['Media'];
export type ArticleType = Schemas['ArticleType'];
/** RFC 9457 problem details: type, title, status, detail, instance, code and, for field errors, `errors[]`. */
export type Problem = Schemas['Problem'];
/** One field error of a problem: a JSON Pointer into the request (`/body/...`, `/query/...`, ...). */
export type FieldError = NonNullable<Problem['errors']>[number];
/** The body of `POST /v1/articles` (created as a draft). */
export type NewArticle = Schemas['NewArticleInput'];

/** The expansions of `include=` (the spec documents them in prose, as a comma list). */
export const INCLUDES = ['authors', 'section', 'tags', 'media', 'disclaimers', 'related', 'html', 'text', 'all'] as const;
export type Include = (typeof INCLUDES)[number];

type ListArticlesQuery = NonNullable<operations['listArticles']['parameters']['query']>;

/** Query of `articles.list`: every filter of `GET /v1/articles`, with `include` as an array. */
export type ArticleListQuery = Omit<ListArticlesQuery, 'include' | 'type'> & {
  /** Article type (`news`, `opinion`, `analysis`, `feature`, `sponsored`); any other value answers 400. */
  type?: ArticleType | (string & {});
  include?: Include[];
};
/** Query of `articles.iterate`: as `list`, without `cursor` (the iterator follows `page.nextCursor`). */
export type ArticleIterateQuery = Omit<ArticleListQuery, 'cursor'>;

type MultipartUpload = NonNullable<operations['createMedia']['requestBody']['content']['multipart/form-data']>;

export type MediaSource = Schemas['MediaSource'];
export type FocalPoint = Schemas['FocalPoint'];

/** `media.upload` input: the bytes plus the metadata parts `POST /v1/media` accepts (multipart/form-data). */
export interface MediaUploadInput {
  /** The image (JPEG, PNG, WebP, GIF or AVIF); the server sniffs the type from the bytes. */
  file: Blob | Uint8Array;
  filename: string;
  /** Content type of the file part (default: the Blob's own type, else application/octet-stream). */
  contentType?: string;
  /** Sent as the `altText` part. */
  alt?: string;
  /** Sent as the `creditText` part. */
  credit?: string;
  /** Plain text, or inline nodes (sent as JSON). */
  caption?: string | Schemas['InlineInput'][];
  creator?: string;
  copyrightNotice?: string;
  licenseUrl?: string;
  source?: MediaSource;
  focalPoint?: FocalPoint;
  /** RFC 3339 UTC time. */
  takenAt?: string;
  idempotencyKey?: string;
}

/** Thrown by every helper for a non-2xx answer; carries the parsed problem+json. */
export class BroadsheetError extends Error {
  readonly status: number;
  readonly problem: Problem;
  /** The response headers (`ETag` on a 412, `Retry-After` on a 429/503, `Location`...). */
  readonly headers: Headers;

  constructor(status: number, problem: Problem, headers: Headers = new Headers()) {
    super(`${status} ${problem.code}: ${problem.detail}`);
    this.name = 'BroadsheetError';
    this.status = status;
    this.problem = problem;
    this.headers = headers;
  }

  /** The stable machine-readable code of the problem (`validation-failed`, `not-found`, ...). */
  get code(): string {
    return this.problem.code;
  }

  /** The field errors (empty when the problem has none). */
  get errors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

export interface ClientOptions {
  /** The API origin, e.g. `https://api.example.com` (paths start with `/v1/...`). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`; omit for anonymous (public, live-only) reads. */
  apiKey?: string;
  /** A fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

export interface BroadsheetClient {
  /** The full typed openapi-fetch client for every other call. It returns `{ data, error, response }` and never throws on HTTP errors. */
  raw: Client<paths>;
  articles: {
    /** `GET /v1/articles/by-slug/{slug}`; an old slug's 301 is followed. */
    getBySlug(slug: string, opts?: { include?: Include[] }): Promise<Article>;
    /** `GET /v1/articles/{id}`. */
    get(id: string, opts?: { include?: Include[] }): Promise<Article>;
    /** `GET /v1/articles`: one page. */
    list(query?: ArticleListQuery): Promise<ArticleList>;
    /** Every article matching the query, page after page (follows `page.nextCursor`). */
    iterate(query?: ArticleIterateQuery): AsyncGenerator<Article>;
    /** `POST /v1/articles` (editor key): creates a draft. */
    create(body: NewArticle, opts?: { idempotencyKey?: string }): Promise<Article>;
    /** `POST /v1/articles/{id}/publish` (editor key): live now, or scheduled when `publishAt` is in the future. */
    publish(id: string, opts?: { publishAt?: string; ifMatch?: string; idempotencyKey?: string }): Promise<Article>;
  };
  sections: {
    /** Every section (all pages of `GET /v1/sections`). */
    list(): Promise<Section[]>;
    /** `GET /v1/sections/by-slug/{slug}`. */
    getBySlug(slug: string): Promise<Section>;
  };
  media: {
    /** `POST /v1/media` as multipart/form-data (editor key). */
    upload(input: MediaUploadInput): Promise<Media>;
  };
}

type Outcome<T> = { data?: T; error?: unknown; response: Response };

/** The problem of a failed response: the parsed problem+json, or one made up when the body is not one (a proxy's HTML page...). */
function toProblem(error: unknown, response: Response): Problem {
  if (error && typeof error === 'object' && typeof (error as Problem).code === 'string' && typeof (error as Problem).type === 'string') {
    const p = error as Partial<Problem>;
    return {
      ...p,
      type: p.type ?? 'about:blank',
      title: p.title ?? response.statusText,
      status: typeof p.status === 'number' ? p.status : response.status,
      detail: p.detail ?? '',
      instance: p.instance ?? new URL(response.url || 'http://invalid/').pathname,
      code: p.code ?? 'unknown',
    };
  }
  return {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: typeof error === 'string' && error ? error.slice(0, 500) : `The server answered ${response.status} without a problem document`,
    instance: response.url ? new URL(response.url).pathname : '',
    code: 'unexpected-response',
  };
}

function unwrap<T>({ data, error, response }: Outcome<T>): T {
  if (!response.ok) throw new BroadsheetError(response.status, toProblem(error, response), response.headers);
  if (data === undefined) {
    throw new BroadsheetError(response.status, toProblem(`Expected a JSON body, got none (status ${response.status})`, response), response.headers);
  }
  return data;
}

const includeParam = (include?: Include[]) => (include && include.length > 0 ? include.join(',') : undefined);

const withHeaders = (entries: Record<string, string | undefined>) => {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) headers[k] = v;
  return headers;
};

function toListQuery(query: ArticleListQuery = {}): ListArticlesQuery {
  const { include, type, ...rest } = query;
  return { ...rest, type: type as ListArticlesQuery['type'], include: includeParam(include) };
}

export function createBroadsheetClient(options: ClientOptions): BroadsheetClient {
  const userFetch = options.fetch;
  const raw = createClient<paths>({
    baseUrl: options.baseUrl,
    // Called as a plain function (a bare `window.fetch` must not be called on another `this`).
    fetch: (request: Request) => (userFetch ? userFetch(request) : globalThis.fetch(request)),
    headers: {
      ...options.headers,
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    },
  });

  const articles: BroadsheetClient['articles'] = {
    async getBySlug(slug, opts = {}) {
      return unwrap(await raw.GET('/v1/articles/by-slug/{slug}', {
        params: { path: { slug }, query: { include: includeParam(opts.include) } },
      }));
    },

    async get(id, opts = {}) {
      return unwrap(await raw.GET('/v1/articles/{id}', {
        params: { path: { id }, query: { include: includeParam(opts.include) } },
      }));
    },

    async list(query) {
      return unwrap(await raw.GET('/v1/articles', { params: { query: toListQuery(query) } }));
    },

    async *iterate(query = {}) {
      let cursor: string | undefined;
      const seen = new Set<string>();
      for (;;) {
        const page = await articles.list({ ...query, cursor });
        yield* page.data;
        const next = page.page.nextCursor;
        // A cursor seen before would loop for ever: stop instead.
        if (!next || seen.has(next)) return;
        seen.add(next);
        cursor = next;
      }
    },

    async create(body, opts = {}) {
      return unwrap(await raw.POST('/v1/articles', {
        body,
        headers: withHeaders({ 'idempotency-key': opts.idempotencyKey }),
      }));
    },

    async publish(id, opts = {}) {
      return unwrap(await raw.POST('/v1/articles/{id}/publish', {
        params: { path: { id } },
        body: opts.publishAt === undefined ? {} : { publishAt: opts.publishAt },
        headers: withHeaders({ 'if-match': opts.ifMatch, 'idempotency-key': opts.idempotencyKey }),
      }));
    },
  };

  const sections: BroadsheetClient['sections'] = {
    async list() {
      const all: Section[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = unwrap(await raw.GET('/v1/sections', { params: { query: { limit: 100, cursor } } }));
        all.push(...page.data);
        if (!page.page.nextCursor || page.page.nextCursor === cursor) return all;
        cursor = page.page.nextCursor;
      }
    },

    async getBySlug(slug) {
      return unwrap(await raw.GET('/v1/sections/by-slug/{slug}', { params: { path: { slug } } }));
    },
  };

  const media: BroadsheetClient['media'] = {
    async upload(input) {
      const type = input.contentType ?? (input.file instanceof Blob && input.file.type ? input.file.type : 'application/octet-stream');
      const file = input.file instanceof Blob && (!input.contentType || input.file.type === input.contentType)
        ? input.file
        // A copy backed by a plain ArrayBuffer: Blob parts may not be views of a SharedArrayBuffer.
        : new Blob([input.file instanceof Blob ? input.file : new Uint8Array(input.file)], { type });
      const parts: MultipartUpload = {
        altText: input.alt,
        creditText: input.credit,
        caption: typeof input.caption === 'string' || input.caption === undefined ? input.caption : JSON.stringify(input.caption),
        creator: input.creator,
        copyrightNotice: input.copyrightNotice,
        licenseUrl: input.licenseUrl,
        source: input.source && JSON.stringify(input.source),
        focalPoint: input.focalPoint && JSON.stringify(input.focalPoint),
        takenAt: input.takenAt,
        file,
      };
      const form = new FormData();
      // Metadata parts first, the file last.
      for (const [name, value] of Object.entries(parts)) {
        if (typeof value === 'string') form.append(name, value);
      }
      form.append('file', file, input.filename);
      return unwrap(await raw.POST('/v1/media', {
        body: parts,
        // openapi-fetch sends a FormData body as is; fetch sets the multipart content type and boundary.
        bodySerializer: () => form,
        headers: withHeaders({ 'idempotency-key': input.idempotencyKey }),
      }));
    },
  };

  return { raw, articles, sections, media };
}
