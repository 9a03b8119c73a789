import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Content-addressed byte store under MEDIA_DIR: `ab/cd/<sha256>`. Names are always generated, never taken
 * from the client. Bytes go to a temporary file first and are renamed into place, so a crash never
 * leaves a half-written file where a row could point. Renditions are a disposable cache beside them.
 */
export function createMediaStore(root: string) {
  const checked = (sha256: string) => {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('invalid content hash');
    return sha256;
  };
  const pathOf = (sha256: string) => join(root, checked(sha256).slice(0, 2), sha256.slice(2, 4), sha256);

  // Renditions: `renditions/ab/<sha256>/<generated name>`, one directory per original so deleting it is one call.
  const renditionDir = (sha256: string) => join(root, 'renditions', checked(sha256).slice(0, 2), sha256);
  const renditionPath = (sha256: string, name: string) => {
    if (!/^[0-9a-f]{32}\.(?:jpg|png|webp|avif)$/.test(name)) throw new Error('invalid rendition name');
    return join(renditionDir(sha256), name);
  };

  return {
    pathOf,
    renditionPath,

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

    /** The original and every rendition made from it. */
    async remove(sha256: string): Promise<void> {
      await rm(pathOf(sha256), { force: true });
      await rm(renditionDir(sha256), { recursive: true, force: true });
    },

    open(sha256: string, range?: { start: number; end: number }): ReadStream {
      return createReadStream(pathOf(sha256), range);
    },

    /**
     * A cached rendition as a stream with its size, or undefined when it has not been made yet. The size
     * comes from the opened file, so it matches the streamed bytes even if a writer renames over the name.
     */
    async openRendition(sha256: string, name: string): Promise<{ stream: ReadStream; size: number } | undefined> {
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

    /**
     * Same pattern as the originals: a uniquely named temp file in the target directory, renamed into
     * place. Concurrent writers of one rendition each rename a complete file over the other (rename is
     * atomic), so a reader never sees a partial one.
     */
    async writeRendition(sha256: string, name: string, bytes: Buffer): Promise<void> {
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

export type MediaStore = ReturnType<typeof createMediaStore>;
