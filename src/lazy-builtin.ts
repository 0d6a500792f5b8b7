// A builtin as CommonJS `require` returns it (the mutable module object, which the agent wraps and
// patches), loaded when first needed rather than when the agent loads: node:worker_threads, node:tty,
// node:v8, crypto, zlib … each cost every app thread a ms or more of start-up, and most runs never need
// some of them.
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

export function builtin<T = Record<string, unknown>>(name: string): T {
  return requireHere(`node:${name}`) as T;
}
