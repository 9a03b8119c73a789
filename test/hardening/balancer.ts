/**
 * A round-robin HTTP balancer in front of several server processes, for test/hardening/multi-process.test.ts
 * (and any measurement of several processes behind one address). Like a real proxy it appends the client's
 * address to X-Forwarded-For (the servers trust it with TRUST_PROXY=loopback), drops hop-by-hop headers and
 * answers 502 when a target is down. Not a *.test.ts file: tap does not run it on its own.
 */
import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Balancer = { base: string; hits: number[]; close: () => Promise<void> };

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];
const endToEnd = (headers: IncomingHttpHeaders) => {
  const out = { ...headers };
  for (const h of HOP_BY_HOP) delete out[h];
  return out;
};

export async function startBalancer(targets: readonly string[]): Promise<Balancer> {
  // `timeout` matters beyond its value: Node's Agent applies the server's `Keep-Alive: timeout=N` hint (dropping an
  // idle socket a second before the server would) only when it has a timeout of its own. Without one it reuses a
  // socket the server is closing at that moment, and the request fails with ECONNRESET.
  const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 60_000 });
  const hits = targets.map(() => 0);
  let next = 0;
  const server = createServer((req, res) => {
    const i = next++ % targets.length;
    hits[i]!++;
    const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
    const upstream = request(new URL(req.url ?? '/', targets[i]), { method: req.method, agent, headers: { ...endToEnd(req.headers), 'x-forwarded-for': forwardedFor } }, (up) => {
      res.writeHead(up.statusCode ?? 502, endToEnd(up.headers));
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`balancer: ${targets[i]} failed: ${err.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
