import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Content-addressed byte store under MEDIA_DIR: `ab/cd/<sha256>`. Names are always generated, never taken
 * from the client. Bytes go to a temporary file first and are renamed into place, so a crash never
 * leaves a half-written file where a row could point.
 */
export function createMediaStore(root: string) {
  const pathOf = (sha256: string) => {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('invalid content hash');
    return join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  };

  return {
    pathOf,

    /** Streams into a temp file while hashing; returns the temp path, the hash and the size. */
    async receive(source: Readable): Promise<{ tmp: string; sha256: string; bytes: number }> {
      const dir = join(root, 'tmp');
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
    },

    /** Moves a received temp file to its content address (once: identical bytes are stored once). */
    async commit(tmp: string, sha256: string): Promise<void> {
      const dest = pathOf(sha256);
      if (await exists(dest)) {
        await rm(tmp, { force: true });
        return;
      }
      await mkdir(join(dest, '..'), { recursive: true });
      await rename(tmp, dest);
    },

    discard: (tmp: string) => rm(tmp, { force: true }),

    remove: (sha256: string) => rm(pathOf(sha256), { force: true }),

    open(sha256: string, range?: { start: number; end: number }): ReadStream {
      return createReadStream(pathOf(sha256), range);
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

export type MediaStore = ReturnType<typeof createMediaStore>;
