/** One load round with autocannon's programmatic API, plus the server-side readings around it. */
import autocannon from 'autocannon';
import { createRequire } from 'node:module';
import { cpuMs, rssBytes } from './proc.js';

/**
 * autocannon keeps every response body as a string (`req.body += chunk` per chunk, for its optional body checks,
 * which this runner does not use). On the lists' 150 KB bodies, which hold non-ASCII text, that decoding and
 * concatenation made the client the bottleneck, and by how much depended on how the server's bytes were split
 * into reads: against the baseline 1,826 µs of client CPU per response (650 req/s, p50 47 ms), against
 * Broadsheet's identical bytes 370 µs (2,864 req/s). Without it: 137 and 144 µs, 7,063 and 7,239 req/s
 * (bench/README.md, 2026-11-28). So the body is dropped as it arrives; status, byte counts and timings are
 * untouched. Fails loudly if a new autocannon moves the method.
 */
const queue = createRequire(import.meta.url)('autocannon/lib/pipelinedRequestsQueue.js') as { prototype: { addBody?: unknown } };
if (typeof queue.prototype.addBody !== 'function') throw new Error('autocannon changed: PipelinedRequestsQueue.prototype.addBody is gone (bench/load.ts)');
queue.prototype.addBody = function addBody() {};

export type Req = { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string };

export type Round = {
  seconds: number;
  requests: number;
  rps: number;
  /** Latency of every response, in ms (autocannon measures from write to last byte). */
  latencies: Float64Array;
  statusCounts: Record<string, number>;
  /** Socket errors and timeouts reported by autocannon. */
  errors: number;
  timeouts: number;
  /** Highest RSS of the server sampled during the round (every 250 ms), in bytes. */
  rssPeak: number;
  /** Server CPU time (all threads) used during the round, in ms. */
  cpuMs: number;
  /** The load generator's CPU time during the round (this process: autocannon), in ms. */
  clientCpuMs: number;
};

export type LoadOptions = { port: number; pid: number; seconds: number; connections: number };

/**
 * Runs `seconds` of load at `connections` connections against 127.0.0.1:port. Every request asks
 * `next()` for its method, path, headers and body, so the URL rotates across connections.
 */
export async function runRound(next: () => Req, options: LoadOptions): Promise<Round> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const statusCounts: Record<string, number> = {};
  let rssPeak = rssBytes(options.pid);
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssBytes(options.pid));
  }, 250);
  const cpuBefore = cpuMs(options.pid);
  const clientBefore = process.cpuUsage();
  const started = performance.now();

  const instance = autocannon({
    url: `http://127.0.0.1:${options.port}`,
    connections: options.connections,
    duration: options.seconds,
    timeout: 30,
    requests: [
      {
        setupRequest: (request: Record<string, unknown>) => {
          const r = next();
          request.method = r.method;
          request.path = r.path;
          request.headers = r.headers ?? {};
          request.body = r.body;
          return request;
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[count++] = responseTime;
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
  });
  const result = await instance;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, rssBytes(options.pid));
  return {
    seconds,
    requests: count,
    rps: count / seconds,
    latencies: latencies.slice(0, count),
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    rssPeak,
    cpuMs: cpuMs(options.pid) - cpuBefore,
    clientCpuMs: ((u) => (u.user + u.system) / 1000)(process.cpuUsage(clientBefore)),
  };
}

/**
 * Waits until the server has worked off the requests still queued when a round ended (autocannon stops
 * sending, but a busy server keeps serving what it has read): its CPU use must drop below a tenth of a
 * core for `quietMs`. Otherwise the backlog of one round would eat into the next one, and into the
 * other server's round, since both share the machine. Returns the milliseconds waited.
 */
export async function settle(pid: number, quietMs = 250, maxMs = 60_000): Promise<number> {
  const started = performance.now();
  let last = cpuMs(pid);
  while (performance.now() - started < maxMs) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = cpuMs(pid);
    if (now - last < quietMs / 10) break;
    last = now;
  }
  return Math.round(performance.now() - started);
}

/** The q-quantile (0..1) of an ascending-sorted sample, by linear interpolation. */
export function quantile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export type Aggregate = {
  /** Median over rounds of each round's requests per second. */
  rps: number;
  rpsRounds: number[];
  /** Latency percentiles over every response of every round, in ms. */
  p50: number;
  p99: number;
  p99Rounds: number[];
  requests: number;
  statusCounts: Record<string, number>;
  /** Responses with another status than the expected one, plus socket errors and timeouts. */
  errors: number;
  rssPeakMB: number;
  /** Server CPU time per request, in microseconds (less sensitive to a busy machine than req/s). */
  cpuUsPerRequest: number;
  /**
   * The load generator's CPU time per request, in microseconds. Near 1,000,000 ÷ req/s the client, not the
   * server, set the rate (one core: autocannon runs in the runner's process).
   */
  clientUsPerRequest: number;
};

/** Whole requests per second, with one decimal below 100 (a slow scenario does a handful per round). */
const roundRps = (x: number) => (x < 100 ? Math.round(x * 10) / 10 : Math.round(x));

export function aggregate(rounds: Round[], expectedStatus: number): Aggregate {
  const total = rounds.reduce((n, r) => n + r.latencies.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const r of rounds) {
    all.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  all.sort();
  const statusCounts: Record<string, number> = {};
  for (const r of rounds) for (const [k, v] of Object.entries(r.statusCounts)) statusCounts[k] = (statusCounts[k] ?? 0) + v;
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const unexpected = requests - (statusCounts[String(expectedStatus)] ?? 0);
  const round1 = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
  return {
    rps: roundRps(median(rounds.map((r) => r.rps))),
    rpsRounds: rounds.map((r) => roundRps(r.rps)),
    p50: round1(quantile(all, 0.5)),
    p99: round1(quantile(all, 0.99)),
    p99Rounds: rounds.map((r) => round1(quantile(r.latencies.slice().sort(), 0.99))),
    requests,
    statusCounts,
    errors: unexpected + rounds.reduce((n, r) => n + r.errors + r.timeouts, 0),
    rssPeakMB: round1(Math.max(...rounds.map((r) => r.rssPeak)) / 1048576, 1),
    cpuUsPerRequest: requests ? Math.round((rounds.reduce((n, r) => n + r.cpuMs, 0) * 1000) / requests) : 0,
    clientUsPerRequest: requests ? Math.round((rounds.reduce((n, r) => n + r.clientCpuMs, 0) * 1000) / requests) : 0,
  };
}
