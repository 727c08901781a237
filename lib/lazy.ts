/**
 * Modules loaded on first use. A one-shot run spends most of its time starting up, so what a
 * run may not need is not loaded up front: RxJS (~220 CommonJS modules; only the operators and
 * `events$` use it), `tls` and `crypto` (only https, --cert/--key), `zlib` (only compressed bodies), `worker_threads`
 * (only h2load -t N). Measured with `npm run bench:startup` and `NODE_DEBUG=module`.
 */

function lazy<T>(load: () => T): () => T {
  let m: T | undefined;
  return () => (m ??= load());
}

/** The `rxjs` module. */
export const rxjs = lazy(() => require('rxjs') as typeof import('rxjs'));
/** Node's `tls`. */
export const tls = lazy(() => require('tls') as typeof import('tls'));
/** Node's `crypto` (with `tls`, ~20 internal modules: only TLS runs and key/certificate checks). */
export const crypto = lazy(() => require('crypto') as typeof import('crypto'));
/** Node's `zlib`. */
export const zlib = lazy(() => require('zlib') as typeof import('zlib'));
/** Node's `worker_threads`. */
export const workerThreads = lazy(() => require('worker_threads') as typeof import('worker_threads'));
