// The part of autocannon 8's programmatic API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  type RequestSpec = { setupRequest?: (request: Record<string, unknown>, context: Record<string, unknown>) => Record<string, unknown> | undefined };
  type Options = { url: string; connections?: number; duration?: number; timeout?: number; requests?: RequestSpec[] };
  type Result = { errors: number; timeouts: number; non2xx: number; duration: number };
  type Instance = EventEmitter & PromiseLike<Result> & { stop(): void };

  export default function autocannon(options: Options): Instance;
}
