/**
 * The local Redis the shared-rate-limit tests use (REDIS_URL, default redis://127.0.0.1:6379; the dev and CI
 * machines run one). Not a *.test.ts file.
 */
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const client = () => {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  return redis;
};

/** Why Redis cannot be used (for a skip message), or undefined when it answers PING. */
export async function redisUnreachable(): Promise<string | undefined> {
  const redis = client();
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG' ? undefined : 'PING did not answer PONG';
  } catch (e) {
    return (e as Error).message;
  } finally {
    redis.disconnect();
  }
}

/** Runs `fn` with a connected client (disconnected afterwards). */
export async function withRedis<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = client();
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** Deletes a test run's keys (they expire within the one-minute window anyway); never throws. */
export async function dropKeys(prefix: string): Promise<void> {
  try {
    await withRedis(async (redis) => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
    });
  } catch { /* Redis is gone */ }
}
