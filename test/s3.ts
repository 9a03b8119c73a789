/**
 * A real S3-compatible server for tests: s3rver (the maintained @20minutes fork), on 127.0.0.1 with a
 * temporary directory, path-style, and a client to look into the bucket through the S3 API. Not a *.test.ts file.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';

const s3rverPath = createRequire(import.meta.url).resolve('@20minutes/s3rver');

// Its own process: s3rver's ListObjectsV2 continuation tokens use DES, which Node's OpenSSL 3 has only in the
// legacy provider (a test-only flag, kept out of the test process). It prints its address once listening.
const serverScript = (directory: string, bucket: string) => `
const S3rver = require(${JSON.stringify(s3rverPath)});
const server = new S3rver({
  address: '127.0.0.1', port: 0, silent: true, directory: ${JSON.stringify(directory)}, configureBuckets: [{ name: ${JSON.stringify(bucket)} }],
  allowMismatchedSignatures: true,
});
server.run().then((address) => process.stdout.write(JSON.stringify(address) + '\\n'), (err) => { console.error(err); process.exit(1); });
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
// The test process went away without stopping it: stdin closes.
process.stdin.on('end', () => process.exit(0)).resume();
`;

/** s3rver's built-in account: the stores find it through the SDK's default chain (environment variables). */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export type LocalS3 = {
  endpoint: string;
  bucket: string;
  client: S3Client;
  /** Every key in the bucket under `prefix`, sorted. */
  keys(prefix?: string): Promise<string[]>;
  read(key: string): Promise<Buffer>;
  del(key: string): Promise<void>;
};

/** Starts a server with one empty bucket, stopped (and its files removed) when the test ends. */
export async function startS3(t: Test, bucket = 'media'): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'bs-s3rver-'));
  // allowMismatchedSignatures: SDK v3 signs DeleteObjects as `POST /<bucket>/?delete`, s3rver checks the signature
  // against `/<bucket>` and refuses it. Signing is the SDK's business, so the check is off (keys must still exist).
  const server = spawn(process.execPath, ['--openssl-legacy-provider', '-e', serverScript(directory, bucket)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(server, 'exit');
  const [line] = await Promise.race([
    once(createInterface({ input: server.stdout! }), 'line') as Promise<[string]>,
    exited.then(([code]) => { throw new Error(`s3rver exited with ${String(code)} before listening`); }),
  ]);
  const { port } = JSON.parse(line) as AddressInfo;
  process.env.AWS_ACCESS_KEY_ID = S3_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3_CREDENTIALS.secretAccessKey;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1', endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  t.teardown(async () => {
    client.destroy();
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  });
  return {
    endpoint,
    bucket,
    client,
    async keys(prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async read(key) {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    },
    async del(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}
