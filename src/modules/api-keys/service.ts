import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ulid } from 'ulid';
import type { Transactions } from '../../db/client.js';
import type { Journal } from '../audit/journal.js';
import type { ApiKeyRepository, ApiKeyRow } from './repository.js';

export type Role = 'editor' | 'admin';
export type Principal = { keyId: string; name: string; role: Role };

export const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');
const newSecret = () => `bsk_${randomBytes(32).toString('base64url')}`;
// Updating last_used_at on every request would turn every read into a write.
const TOUCH_INTERVAL_MS = 60_000;

/**
 * The app passes its journal and `tx` (the journal records inside the write's transaction); the CLI passes
 * neither, and each of its writes is then one statement of its own.
 */
export function createApiKeyService(repo: ApiKeyRepository, now: () => Date, journal?: Journal, tx: Transactions['tx'] = (fn) => fn()) {
  function create(name: string, role: Role, secret = newSecret()): Promise<{ row: ApiKeyRow; secret: string }> {
    return tx(async () => {
      const row = await repo.insert({ id: ulid(), name, role, prefix: secret.slice(0, 12), hash: hashSecret(secret), createdAt: now().toISOString() });
      await journal?.record({ resource: 'api-key', id: row.id, action: 'created' });
      return { row, secret };
    });
  }

  /**
   * Resolves a bearer secret to its key. The hash is looked up by index, then compared in constant time.
   * Every authenticated request runs it: one lookup, and the occasional last-used update.
   */
  async function authenticate(secret: string): Promise<Principal | undefined> {
    const hash = hashSecret(secret);
    const row = await repo.findActiveByHash(hash);
    if (!row || !timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
    const at = now();
    if (!row.lastUsedAt || at.getTime() - Date.parse(row.lastUsedAt) > TOUCH_INTERVAL_MS) await repo.touch(row.id, at.toISOString());
    return { keyId: row.id, name: row.name, role: row.role };
  }

  /** ADMIN_API_KEY bootstrap: creates the admin key with that secret once; a revoked one stays revoked. */
  async function ensureBootstrapAdmin(secret: string): Promise<boolean> {
    const hash = hashSecret(secret);
    try {
      return await tx(async () => {
        if (await repo.findByHash(hash)) return false;
        await create('bootstrap admin (ADMIN_API_KEY)', 'admin', secret);
        return true;
      });
    } catch (e) {
      // Another process starting on the same database created it in between (the hash is unique).
      if (await repo.findByHash(hash)) return false;
      throw e;
    }
  }

  function revoke(id: string, at: string): Promise<boolean> {
    return tx(async () => {
      const done = await repo.revoke(id, at);
      if (done) await journal?.record({ resource: 'api-key', id, action: 'revoked' });
      return done;
    });
  }

  return { create, authenticate, ensureBootstrapAdmin, list: repo.list, revoke, countActive: repo.countActive };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
