import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../config.js';

type Range = { start: number; end: number };

/**
 * Where media bytes live: content-addressed (`ab/cd/<sha256>`), names always generated, never taken from the
 * client. Renditions are a disposable cache beside the originals (`renditions/ab/<sha256>/<name>`).
 * No method hands out a file path, so the bytes can live on a shared volume or in an S3 bucket.
 */
export type MediaStore = {
  /** Streams into a local temp file while hashing; returns the temp path, the hash and the size. */
  receive(source: Readable): Promise<{ tmp: string; sha256: string; bytes: number }>;
  /** Moves a received temp file to its content address (once: identical bytes are stored once). */
  commit(tmp: string, sha256: string): Promise<void>;
  discard(tmp: string): Promise<void>;
  /** The original and every rendition made from it. */
  remove(sha256: string): Promise<void>;
  /** The original (or an inclusive byte range); a missing original is an `ENOENT` error on the stream. */
  open(sha256: string, range?: Range): Readable;
  /** The whole original, for rendering (sharp decodes it whole either way). */
  readOriginal(sha256: string): Promise<Buffer>;
  /** A cached rendition as a stream with its size, or undefined when it has not been made yet. */
  openRendition(sha256: string, name: string): Promise<{ stream: Readable; size: number } | undefined>;
  writeRendition(sha256: string, name: string, bytes: Buffer): Promise<void>;
};

/** The fs store also tells where a file is: for tests and operators, not for the app. */
export type FsMediaStore = MediaStore & {
  pathOf(sha256: string): string;
  renditionPath(sha256: string, name: string): string;
  open(sha256: string, range?: Range): ReadStream;
  openRendition(sha256: string, name: string): Promise<{ stream: ReadStream; size: number } | undefined>;
};

export type MediaStoreConfig = Pick<Config, 'mediaDir' | 'mediaS3Bucket' | 'mediaS3Prefix' | 'mediaS3Region' | 'mediaS3Endpoint' | 'mediaS3ForcePathStyle'>;

/** S3 when MEDIA_S3_BUCKET is set, else files under MEDIA_DIR. A bare path is the fs store (older call sites). */
export function createMediaStore(root: string): FsMediaStore;
export function createMediaStore(config: MediaStoreConfig): MediaStore;
export function createMediaStore(config: string | MediaStoreConfig): MediaStore {
  if (typeof config === 'string') return createFsMediaStore(config);
  if (!config.mediaS3Bucket) return createFsMediaStore(config.mediaDir);
  return createS3MediaStore({
    bucket: config.mediaS3Bucket,
    prefix: config.mediaS3Prefix,
    region: config.mediaS3Region,
    endpoint: config.mediaS3Endpoint,
    forcePathStyle: config.mediaS3ForcePathStyle,
    // Uploads are staged on local disk while their hash is computed; MEDIA_DIR holds nothing else then.
    tmpDir: join(config.mediaDir, 'tmp'),
  });
}

const checked = (sha256: string) => {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('invalid content hash');
  return sha256;
};
const checkedName = (name: string) => {
  if (!/^[0-9a-f]{32}\.(?:jpg|png|webp|avif)$/.test(name)) throw new Error('invalid rendition name');
  return name;
};

/** Streams a body into a new temp file in `dir`, hashing on the way. */
async function receiveInto(dir: string, source: Readable): Promise<{ tmp: string; sha256: string; bytes: number }> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${randomBytes(12).toString('hex')}.part`);
  const hash = createHash('sha256');
  let bytes = 0;
  source.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  try {
    await pipeline(source, createWriteStream(tmp, { flags: 'wx' }));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { tmp, sha256: hash.digest('hex'), bytes };
}

/**
 * Files under MEDIA_DIR (a local disk or a volume shared by every process). Bytes go to a temporary file
 * first and are renamed into place, so a crash never leaves a half-written file where a row could point.
 */
export function createFsMediaStore(root: string): FsMediaStore {
  const pathOf = (sha256: string) => join(root, checked(sha256).slice(0, 2), sha256.slice(2, 4), sha256);
  // One directory per original, so deleting its renditions is one call.
  const renditionDir = (sha256: string) => join(root, 'renditions', checked(sha256).slice(0, 2), sha256);
  const renditionPath = (sha256: string, name: string) => join(renditionDir(sha256), checkedName(name));

  return {
    pathOf,
    renditionPath,

    receive: (source) => receiveInto(join(root, 'tmp'), source),

    async commit(tmp, sha256) {
      const dest = pathOf(sha256);
      if (await exists(dest)) {
        await rm(tmp, { force: true });
        return;
      }
      await mkdir(join(dest, '..'), { recursive: true });
      await rename(tmp, dest);
    },

    discard: (tmp) => rm(tmp, { force: true }),

    async remove(sha256) {
      await rm(pathOf(sha256), { force: true });
      await rm(renditionDir(sha256), { recursive: true, force: true });
    },

    open: (sha256, range) => createReadStream(pathOf(sha256), range),

    readOriginal: (sha256) => readFile(pathOf(sha256)),

    // The size comes from the opened file, so it matches the streamed bytes even if a writer renames over the name.
    async openRendition(sha256, name) {
      let handle;
      try {
        handle = await open(renditionPath(sha256, name), 'r');
      } catch {
        return undefined;
      }
      try {
        const { size } = await handle.stat();
        return { stream: handle.createReadStream(), size };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },

    // A uniquely named temp file renamed into place: concurrent writers of one rendition each rename a complete
    // file over the other (rename is atomic), so a reader never sees a partial one.
    async writeRendition(sha256, name, bytes) {
      const dest = renditionPath(sha256, name);
      await mkdir(join(dest, '..'), { recursive: true });
      const tmp = `${dest}.${randomBytes(8).toString('hex')}.part`;
      try {
        await writeFile(tmp, bytes, { flag: 'wx' });
        await rename(tmp, dest);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export type S3MediaStoreOptions = {
  bucket: string;
  /** Prepended as is to every key (`broadsheet/` gives `broadsheet/ab/cd/<sha256>`). */
  prefix: string;
  region: string;
  /** For S3-compatible services (MinIO, R2, …); unset: AWS. */
  endpoint?: string | undefined;
  forcePathStyle: boolean;
  /** Local directory where uploads are staged while they are hashed. */
  tmpDir: string;
};

type S3Failure = { name?: string; $metadata?: { httpStatusCode?: number } };
/** No such object (HEAD answers a bare 404); a missing bucket is a configuration error, not a missing object. */
const isMissing = (err: unknown) => {
  const e = err as S3Failure;
  return e?.name !== 'NoSuchBucket' && (e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404);
};
/** Worth another try with a fresh body: throttling, a 5xx, or no answer at all (a dropped connection). */
const isTransient = (err: unknown) => {
  const status = (err as S3Failure)?.$metadata?.httpStatusCode;
  return status === undefined || status === 429 || status >= 500;
};
// The same error a missing file gives, so callers (and the HTTP error handler) see no difference.
const noSuchObject = (key: string) => Object.assign(new Error(`ENOENT: no such object, ${key}`), { code: 'ENOENT' });

/**
 * An S3 bucket (or an S3-compatible store), with the fs store's keys under `prefix`. Credentials come from
 * the AWS SDK's default provider chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity,
 * container or instance roles). Objects are written once under their content hash, so a reader never sees a
 * partial one (a PUT is atomic) and two writers of the same key write the same bytes.
 */
export function createS3MediaStore(options: S3MediaStoreOptions): MediaStore {
  const { bucket, prefix } = options;
  // Loaded here, not at the top: the SDK takes ~60 ms to load, which every process and test file would pay.
  const s3 = import('@aws-sdk/client-s3').then((sdk) => ({
    sdk,
    client: new sdk.S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle,
      // The SDK's default CRC32 trailers (aws-chunked uploads) are refused by several S3-compatible stores;
      // originals carry their own SHA-256 checksum instead (below).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  }));
  const originalKey = (sha256: string) => `${prefix}${checked(sha256).slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
  const renditionPrefix = (sha256: string) => `${prefix}renditions/${checked(sha256).slice(0, 2)}/${sha256}/`;
  const renditionKey = (sha256: string, name: string) => `${renditionPrefix(sha256)}${checkedName(name)}`;

  async function get(key: string, range?: Range, signal?: AbortSignal) {
    const { sdk, client } = await s3;
    try {
      const res = await client.send(
        new sdk.GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
        signal ? { abortSignal: signal } : {},
      );
      if (!res.Body) throw new Error(`S3 returned no body for ${key}`);
      return { body: res.Body as Readable & { transformToByteArray(): Promise<Uint8Array> }, size: res.ContentLength };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async function exists(key: string) {
    const { sdk, client } = await s3;
    try {
      await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  return {
    receive: (source) => receiveInto(options.tmpDir, source),

    async commit(tmp, sha256) {
      const key = originalKey(sha256);
      if (!(await exists(key))) {
        const { sdk, client } = await s3;
        const { size } = await stat(tmp);
        // The SDK cannot retry a streamed body, so transient failures are retried here with a fresh stream.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.send(new sdk.PutObjectCommand({
              Bucket: bucket, Key: key, Body: createReadStream(tmp), ContentLength: size,
              // S3 checks the bytes it received against the content address before storing them.
              ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
              ContentType: 'application/octet-stream',
            }));
            break;
          } catch (err) {
            if (attempt >= 3 || !isTransient(err)) throw err;
            await sleep(200 * attempt);
          }
        }
      }
      await rm(tmp, { force: true });
    },

    discard: (tmp) => rm(tmp, { force: true }),

    async remove(sha256) {
      const { sdk, client } = await s3;
      // The original goes in the first batch with the renditions, so the common case is one list and one delete.
      const keys = [originalKey(sha256)];
      let token: string | undefined;
      do {
        const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: renditionPrefix(sha256), ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
        // DeleteObjects takes at most 1,000 keys.
        while (keys.length >= (token ? 1000 : 1)) {
          const batch = keys.splice(0, 1000);
          const res = await client.send(new sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
          const failed = res.Errors ?? [];
          if (failed.length) throw new Error(`S3 could not delete ${failed.length} object(s), first ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message}`);
        }
      } while (token);
    },

    open(sha256, range) {
      const key = originalKey(sha256);
      const out = new PassThrough();
      const abort = new AbortController();
      // A reader that goes away early (client disconnect) stops the request, or the body once it flows.
      out.once('close', () => {
        if (!out.readableEnded) abort.abort();
      });
      get(key, range, abort.signal).then(
        (res) => (res ? pipeline(res.body, out) : Promise.reject(noSuchObject(key))),
      ).catch((err: unknown) => {
        if (!out.destroyed) out.destroy(err as Error);
      });
      return out;
    },

    async readOriginal(sha256) {
      const key = originalKey(sha256);
      const res = await get(key);
      if (!res) throw noSuchObject(key);
      const bytes = await res.body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },

    async openRendition(sha256, name) {
      const res = await get(renditionKey(sha256, name));
      if (!res) return undefined;
      if (res.size === undefined) {
        res.body.destroy();
        throw new Error('S3 returned no Content-Length for a rendition');
      }
      return { stream: res.body, size: res.size };
    },

    async writeRendition(sha256, name, bytes) {
      const { sdk, client } = await s3;
      await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: renditionKey(sha256, name), Body: bytes, ContentLength: bytes.length }));
    },
  };
}
