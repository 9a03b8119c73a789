import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { AsyncResource } from 'node:async_hooks';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { ClaimedDelivery } from './repository.js';
import type { WebhookService } from './service.js';
import { pinnedLookup, systemResolve, TargetError, vetTarget, type Resolve, type Vetted } from './url-guard.js';

/**
 * The in-process webhook dispatcher: it polls the outbox (`webhook_deliveries`), claims due deliveries with
 * one UPDATE … RETURNING (a lease, see repository.ts `claim`), POSTs each signed event and records the
 * outcome. Real timers drive the polling; the app clock decides what is due, so tests can move time.
 * The HTTP attempts run outside any transaction: only the claim and the outcome are statements.
 */
export type DispatcherOptions = {
  /** How often the outbox is polled when nothing wakes the dispatcher. */
  pollIntervalMs: number;
  /** The whole attempt, redirects included. */
  timeoutMs: number;
  /** Exponential backoff with full jitter: a retry waits random(0, min(maxDelayMs, baseDelayMs · 2^(attempt-1))). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** After this many failed attempts a delivery is `dead`. */
  maxAttempts: number;
  /** Deliveries in flight at once (a resource's events still go one at a time). */
  concurrency: number;
  maxRedirects: number;
  /** How long a claim holds; a delivery whose lease passed is claimed again (its process died). */
  leaseMs: number;
  random: () => number;
  resolve: Resolve;
};

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  pollIntervalMs: 250,
  timeoutMs: 10_000,
  baseDelayMs: 1_000,
  maxDelayMs: 60 * 60 * 1000,
  maxAttempts: 8,
  concurrency: 8,
  maxRedirects: 3,
  leaseMs: 30_000,
  random: Math.random,
  resolve: systemResolve,
};

type Outbox = WebhookService['outbox'];
type Outcome = { ok: true; statusCode: number } | { ok: false; statusCode: number | null; error: string; retry: boolean };

export const USER_AGENT = 'Broadsheet-Webhooks/1';
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** `Broadsheet-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const sign = (secret: string, t: number, body: string) => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;

/** One POST to an address already vetted; resolves on the response head (the body is discarded). */
function post(url: URL, vetted: Vetted, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method: 'POST', agent: false, signal, lookup: pinnedLookup(vetted),
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      res.on('error', () => undefined);
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const short = (s: string) => (s.length > 200 ? `${s.slice(0, 197)}...` : s);

export function createDispatcher(deps: { outbox: Outbox; now: () => Date; allowedHosts: readonly string[]; log: FastifyBaseLogger }, overrides: Partial<DispatcherOptions> = {}) {
  const opts: DispatcherOptions = { ...DEFAULT_DISPATCHER_OPTIONS, ...overrides };
  const leaseMs = Math.max(opts.leaseMs, opts.timeoutMs * 2);
  const inflight = new Map<string, Promise<void>>();
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeQueued = false;
  /** The poll under way (one at a time), and whether another was asked for meanwhile. */
  let polling: Promise<void> | undefined;
  let pollAgain = false;
  // Wake-ups come from inside a write's transaction (journal.onDeliveriesQueued): polls run in the context the
  // dispatcher was made in, so their statements wait for that transaction to end instead of joining it.
  const detached = new AsyncResource('broadsheet.webhook-dispatcher');
  let shutdown = new AbortController();

  const backoff = (attempt: number) => Math.floor(opts.random() * Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1)));

  /** Sends one attempt, following at most `maxRedirects` redirects, each hop vetted again. */
  async function attempt(job: ClaimedDelivery, attemptNo: number, signal: AbortSignal): Promise<Outcome> {
    const body = JSON.stringify({ id: job.eventId, type: job.eventType, occurredAt: job.occurredAt, data: job.data });
    const t = Math.floor(deps.now().getTime() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'broadsheet-event': job.eventType,
      'broadsheet-delivery': job.id,
      'broadsheet-attempt': String(attemptNo),
      'broadsheet-signature': sign(job.secret, t, body),
    };
    let url = new URL(job.url);
    for (let hop = 0; ; hop++) {
      const vetted = await vetTarget(url, deps.allowedHosts, opts.resolve);
      const res = await post(url, vetted, body, headers, signal);
      if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status };
      if (!REDIRECTS.has(res.status) || !res.location) return { ok: false, statusCode: res.status, error: `HTTP ${res.status}`, retry: true };
      if (hop >= opts.maxRedirects) return { ok: false, statusCode: res.status, error: `more than ${opts.maxRedirects} redirects`, retry: true };
      try {
        url = new URL(res.location, url);
      } catch {
        return { ok: false, statusCode: res.status, error: 'redirect to an invalid URL', retry: false };
      }
    }
  }

  function describe(e: unknown, signal: AbortSignal): { error: string; retry: boolean } {
    if (e instanceof TargetError) {
      return e.kind === 'unresolvable' ? { error: e.message, retry: true } : { error: `target refused: ${e.message}`, retry: false };
    }
    if (signal.aborted) return { error: `timed out after ${opts.timeoutMs} ms`, retry: true };
    const err = e as { code?: string; message?: string };
    return { error: short(err.code ? `${err.code}${err.message ? `: ${err.message}` : ''}` : (err.message ?? 'request failed')), retry: true };
  }

  async function deliver(job: ClaimedDelivery): Promise<void> {
    const attemptNo = job.attempts + 1;
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = AbortSignal.any([timeout, shutdown.signal]);
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = await attempt(job, attemptNo, signal);
    } catch (e) {
      if (shutdown.signal.aborted && !timeout.aborted) {
        // Stopping: hand the delivery back untouched (no attempt counted); the next start sends it.
        await deps.outbox.finish(job.id, job.lockedUntil, { status: 'pending', lockedUntil: null, updatedAt: deps.now().toISOString() });
        return;
      }
      outcome = { ok: false, statusCode: null, ...describe(e, timeout) };
    }
    const latency = Math.round(performance.now() - started);
    const at = deps.now();
    const base = { attempts: attemptNo, lastStatusCode: outcome.statusCode, lastLatencyMs: latency, lockedUntil: null, updatedAt: at.toISOString() };
    const log = { deliveryId: job.id, webhookId: job.webhookId, eventId: job.eventId, attempt: attemptNo, latencyMs: latency };
    let recorded: boolean;
    if (outcome.ok) {
      recorded = await deps.outbox.finish(job.id, job.lockedUntil, { ...base, status: 'succeeded', lastError: null, deliveredAt: at.toISOString() });
      deps.log.debug({ ...log, statusCode: outcome.statusCode }, 'webhook delivered');
    } else if (!outcome.retry || attemptNo >= opts.maxAttempts) {
      recorded = await deps.outbox.finish(job.id, job.lockedUntil, { ...base, status: 'dead', lastError: outcome.error });
      deps.log.warn({ ...log, statusCode: outcome.statusCode, error: outcome.error }, 'webhook delivery dead');
    } else {
      const next = new Date(at.getTime() + backoff(attemptNo)).toISOString();
      recorded = await deps.outbox.finish(job.id, job.lockedUntil, { ...base, status: 'pending', lastError: outcome.error, nextAttemptAt: next });
      deps.log.info({ ...log, statusCode: outcome.statusCode, error: outcome.error, nextAttemptAt: next }, 'webhook delivery failed; will retry');
    }
    if (!recorded) deps.log.warn(log, 'webhook delivery outcome dropped: the lease had passed and the delivery was claimed again');
  }

  function tick(): void {
    if (!running) return;
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = detached.runInAsyncScope(poll).finally(() => {
      polling = undefined;
      if (pollAgain) {
        pollAgain = false;
        wake();
      }
    });
  }

  async function poll(): Promise<void> {
    try {
      const free = opts.concurrency - inflight.size;
      const now = deps.now();
      if (free > 0 && (await deps.outbox.hasDue(now.toISOString()))) {
        const jobs = await deps.outbox.claim(now.toISOString(), new Date(now.getTime() + leaseMs).toISOString(), free, [...inflight.keys()]);
        for (const job of jobs) {
          const p = deliver(job)
            .catch((err: unknown) => deps.log.error({ err, deliveryId: job.id }, 'webhook dispatcher failed to record a delivery'))
            .finally(() => {
              inflight.delete(job.id);
              // The next event of the same resource may be waiting for this one.
              wake();
            });
          inflight.set(job.id, p);
        }
      }
    } catch (err) {
      deps.log.error({ err }, 'webhook dispatcher poll failed');
    }
    schedule(opts.pollIntervalMs);
  }

  function schedule(ms: number): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, ms);
    timer.unref();
  }

  /** Poll now (after a write committed, or a delivery finished) instead of at the next interval. */
  function wake(): void {
    if (!running || wakeQueued) return;
    wakeQueued = true;
    setImmediate(() => {
      wakeQueued = false;
      tick();
    });
  }

  return {
    options: opts,
    start(): void {
      if (running) return;
      running = true;
      shutdown = new AbortController();
      schedule(0);
    },
    /** Stops polling, aborts the attempts in flight (handing them back) and waits for them to settle. */
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      shutdown.abort();
      // A poll under way may still claim deliveries: they start aborted and are handed back like the rest.
      await polling;
      await Promise.allSettled([...inflight.values()]);
    },
    wake,
    get running() {
      return running;
    },
    get inFlight() {
      return inflight.size;
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

declare module 'fastify' {
  interface FastifyInstance {
    webhookDispatcher: Dispatcher;
  }
}

/**
 * Wires the dispatcher into the app's lifecycle: started once the app is ready (unless `start` is false),
 * woken by every write that records an event, stopped on close before the database is (register it after the
 * database's onClose hook: Fastify runs onClose hooks last-in, first-out).
 */
export function registerWebhookDispatcher(app: FastifyInstance, start: boolean, options: Partial<DispatcherOptions> = {}): void {
  const dispatcher = createDispatcher({
    outbox: app.services.webhooks.outbox, now: app.clock, allowedHosts: app.config.webhookAllowedHosts, log: app.log.child({ module: 'webhooks' }),
  }, options);
  app.decorate('webhookDispatcher', dispatcher);
  // Called inside the write's transaction: the poll it starts waits for the commit (see `detached`).
  app.services.journal.onDeliveriesQueued.push(() => dispatcher.wake());
  if (start) app.addHook('onReady', async () => dispatcher.start());
  app.addHook('onClose', async () => dispatcher.stop());
}
