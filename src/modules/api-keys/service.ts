import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ulid } from 'ulid';
import type { Journal } from '../audit/journal.js';
import type { ApiKeyRepository, ApiKeyRow } from './repository.js';

export type Role = 'editor' | 'admin';
export type Principal = { keyId: string; name: string; role: Role };

export const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');
const newSecret = () => `bsk_${randomBytes(32).toString('base64url')}`;
// Updating last_used_at on every request would turn every read into a write.
const TOUCH_INTERVAL_MS = 60_000;

export function createApiKeyService(repo: ApiKeyRepository, now: () => Date, journal?: Journal) {
  function create(name: string, role: Role, secret = newSecret()): { row: ApiKeyRow; secret: string } {
    const row = repo.insert({ id: ulid(), name, role, prefix: secret.slice(0, 12), hash: hashSecret(secret), createdAt: now().toISOString() });
    journal?.record({ resource: 'api-key', id: row.id, action: 'created' });
    return { row, secret };
  }

  /** Resolves a bearer secret to its key. The hash is looked up by index, then compared in constant time. */
  function authenticate(secret: string): Principal | undefined {
    const hash = hashSecret(secret);
    const row = repo.findActiveByHash(hash);
    if (!row || !timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
    const at = now();
    if (!row.lastUsedAt || at.getTime() - Date.parse(row.lastUsedAt) > TOUCH_INTERVAL_MS) repo.touch(row.id, at.toISOString());
    return { keyId: row.id, name: row.name, role: row.role };
  }

  /** ADMIN_API_KEY bootstrap: creates the admin key with that secret once; a revoked one stays revoked. */
  function ensureBootstrapAdmin(secret: string): boolean {
    const hash = hashSecret(secret);
    if (repo.findByHash(hash)) return false;
    try {
      create('bootstrap admin (ADMIN_API_KEY)', 'admin', secret);
    } catch (e) {
      // Another process starting on the same database created it in between (the hash is unique).
      if (repo.findByHash(hash)) return false;
      throw e;
    }
    return true;
  }

  function revoke(id: string, at: string): boolean {
    const done = repo.revoke(id, at);
    if (done) journal?.record({ resource: 'api-key', id, action: 'revoked' });
    return done;
  }

  return { create, authenticate, ensureBootstrapAdmin, list: repo.list, revoke, countActive: repo.countActive };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
