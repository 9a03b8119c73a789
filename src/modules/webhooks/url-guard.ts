import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';

/**
 * SSRF guard for webhook targets (reliability-anchors T29). A target is vetted on the addresses its host
 * resolves to, not on its spelling: every address must be public unless the host name or that address is
 * allow-listed (WEBHOOK_ALLOWED_HOSTS). The vetted address is the one the request connects to
 * (`pinnedLookup`), so a DNS answer that changes between the check and the connection (rebinding) is never
 * used. The dispatcher runs the check again at every attempt and every redirect hop.
 */

export type Vetted = { address: string; family: 4 | 6 };
export type Resolve = (host: string) => Promise<Vetted[]>;

export class TargetError extends Error {
  constructor(readonly kind: 'scheme' | 'forbidden' | 'unresolvable', message: string) {
    super(message);
  }
}

type Range = { label: string; base: bigint; bits: number };

const v4 = (a: string): bigint => a.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);

/** An IPv6 address as a 128-bit integer (zone ids stripped; an embedded dotted quad allowed at the end). */
function v6(a: string): bigint {
  let s = a.split('%')[0]!.toLowerCase();
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad) {
    const n = v4(quad[1]!);
    s = `${s.slice(0, -quad[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

const range = (label: string, cidr: string, family: 4 | 6): Range => {
  const [addr, bits] = cidr.split('/') as [string, string];
  return { label, base: family === 4 ? v4(addr) : v6(addr), bits: Number(bits) };
};

const V4_RANGES = [
  range('unspecified', '0.0.0.0/8', 4),
  range('private', '10.0.0.0/8', 4),
  range('shared (CGNAT)', '100.64.0.0/10', 4),
  range('loopback', '127.0.0.0/8', 4),
  range('link-local', '169.254.0.0/16', 4),
  range('private', '172.16.0.0/12', 4),
  range('reserved', '192.0.0.0/24', 4),
  range('private', '192.168.0.0/16', 4),
  range('benchmarking', '198.18.0.0/15', 4),
  range('multicast', '224.0.0.0/4', 4),
  range('reserved', '240.0.0.0/4', 4),
];

const V6_RANGES = [
  range('unspecified', '::/128', 6),
  range('loopback', '::1/128', 6),
  range('IPv4-compatible', '::/96', 6),
  range('private (unique local)', 'fc00::/7', 6),
  range('link-local', 'fe80::/10', 6),
  range('site-local', 'fec0::/10', 6),
  range('multicast', 'ff00::/8', 6),
];

/** IPv6 prefixes that carry an IPv4 address in their last 32 bits: judged by that address. */
const EMBEDS_V4 = [range('IPv4-mapped', '::ffff:0:0/96', 6), range('NAT64', '64:ff9b::/96', 6)];

const inRange = (n: bigint, r: Range, width: number) => n >> BigInt(width - r.bits) === r.base >> BigInt(width - r.bits);

/** Why an address may not be a webhook target (`loopback`, `private`...), or undefined for a public one. */
export function forbiddenRange(address: string): string | undefined {
  const family = isIP(address.split('%')[0]!);
  if (family === 4) return V4_RANGES.find((r) => inRange(v4(address), r, 32))?.label;
  if (family !== 6) return 'not an IP address';
  const n = v6(address);
  const embedding = EMBEDS_V4.find((r) => inRange(n, r, 128));
  if (embedding) {
    const inner = n & 0xffffffffn;
    const label = V4_RANGES.find((r) => inRange(inner, r, 32))?.label;
    return label ? `${embedding.label} ${label}` : undefined;
  }
  return V6_RANGES.find((r) => inRange(n, r, 128))?.label;
}

/** One spelling per host or address, so `[::1]`, `::1` and `0:0::1` compare equal. */
export function canonicalHost(host: string): string {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const family = isIP(h.split('%')[0]!);
  if (family === 6) return `v6:${v6(h).toString(16)}`;
  if (family === 4) return `v4:${v4(h).toString(16)}`;
  return h;
}

export const systemResolve: Resolve = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/**
 * Vets one URL: http(s) only, then every resolved address (an allow-listed host name skips the address
 * check). Returns the address to connect to.
 */
export async function vetTarget(url: URL, allowedHosts: readonly string[], resolve: Resolve = systemResolve): Promise<Vetted> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetError('scheme', `only http and https targets are allowed, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const allowed = new Set(allowedHosts.map(canonicalHost));
  const family = isIP(host);
  let addresses: Vetted[];
  if (family) addresses = [{ address: host, family: family as 4 | 6 }];
  else {
    try {
      addresses = await resolve(host);
    } catch (e) {
      throw new TargetError('unresolvable', `${host} does not resolve (${(e as { code?: string }).code ?? 'lookup failed'})`);
    }
    if (!addresses.length) throw new TargetError('unresolvable', `${host} does not resolve`);
  }
  if (!allowed.has(canonicalHost(host))) {
    for (const a of addresses) {
      const why = allowed.has(canonicalHost(a.address)) ? undefined : forbiddenRange(a.address);
      if (why) throw new TargetError('forbidden', `${host === a.address ? host : `${host} resolves to ${a.address}, which`} is ${/^[aeiou]/i.test(why) ? 'an' : 'a'} ${why} address`);
    }
  }
  return addresses[0]!;
}

/** A `lookup` for node:http that answers with the vetted address only (no second DNS query). */
export function pinnedLookup(vetted: Vetted): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: vetted.address, family: vetted.family }]);
    else callback(null, vetted.address, vetted.family);
  }) as unknown as LookupFunction;
}
