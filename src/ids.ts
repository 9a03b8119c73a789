import { randomFillSync } from 'node:crypto';
import { monotonicFactory, ulid } from 'ulid';

/**
 * ULIDs whose random part comes from a pooled CSPRNG buffer. The ulid package's own PRNG calls
 * `crypto.getRandomValues` once per character (16 calls per id, a new closure each time): 4 % of an
 * article write's CPU. Same randomness source, one fill per 4 KiB.
 */
const pool = Buffer.allocUnsafe(4096);
let next = pool.length;

/** A uniform fraction in [0, 1) with 8 bits of entropy (what ulid draws per base-32 character). */
export function pooledRandom(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]! / 256;
}

/** `bytes` random bytes from the same pool, as hex: for ids (block ids), never for secrets. */
export function pooledHex(bytes: number): string {
  if (next + bytes > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const hex = pool.toString('hex', next, next + bytes);
  next += bytes;
  return hex;
}

/** A new ULID (time + 80 random bits). */
export const newId = (): string => ulid(undefined, pooledRandom);

/** A ULID factory whose ids increase strictly, even within one millisecond. */
export const monotonicIds = (): ((seedTime?: number) => string) => monotonicFactory(pooledRandom);
