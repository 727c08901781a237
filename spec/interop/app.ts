/**
 * The application the interop tests serve with our HTTP2Server, so every peer hits the same
 * routes:
 *   GET  /                 -> "hello\n"
 *   GET  /bytes/N          -> N pattern bytes (streamed with backpressure)
 *   POST /hash             -> "<bytes> <sha256>\n" of the request body (also PUT)
 *   GET  /trailers         -> "body\n" then trailers x-checksum / x-count
 *   GET  /push             -> pushes /pushed.css, then "page\n"
 *   GET  /echo-headers     -> the request headers as JSON
 */
import * as crypto from 'crypto';
import { BaseRequestHandler, HTTP2Server, HTTP2ServerOptions } from '../../lib/server';
import { patternStream } from './harness';

export class InteropHandler extends BaseRequestHandler {
  private hash = crypto.createHash('sha256');
  private bytes = 0;

  override onData(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  override async onRequestDone(): Promise<void> {
    const p = this.path ?? '';
    if (this.method === 'POST' || this.method === 'PUT') {
      await this.sendResponse({
        status: 200,
        headers: { 'content-type': 'text/plain' },
        body: `${this.bytes} ${this.hash.digest('hex')}\n`,
      });
      return;
    }
    const m = /^\/bytes\/(\d+)$/.exec(p);
    if (m) {
      const n = Number(m[1]);
      await this.sendResponse({
        headers: [
          ['content-length', String(n)],
          ['content-type', 'application/octet-stream'],
        ],
        body: patternStream(n),
      });
      return;
    }
    if (p === '/trailers') {
      await this.sendResponse({
        headers: { 'content-type': 'text/plain' },
        body: 'body\n',
        trailers: { 'x-checksum': 'abc123', 'x-count': 1 },
      });
      return;
    }
    if (p === '/push') {
      this.push({ path: '/pushed.css', headers: { 'content-type': 'text/css' }, body: 'pushed { color: red }\n' });
      await this.sendResponse({ headers: { 'content-type': 'text/html' }, body: 'page\n' });
      return;
    }
    if (p === '/echo-headers') {
      await this.sendResponse({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(this.headers) });
      return;
    }
    if (p === '/' || p === '/index.html' || p === '*') {
      await this.sendResponse({ headers: { 'content-type': 'text/plain' }, body: 'hello\n' });
      return;
    }
    await this.sendResponse({ status: 404, body: 'not found\n' });
  }
}

/** Start the interop app on 127.0.0.1, port 0; returns the server and its port. */
export async function startApp(opts: HTTP2ServerOptions = {}): Promise<{ server: HTTP2Server; port: number }> {
  const server = new HTTP2Server({ host: '127.0.0.1', port: 0 }, InteropHandler, opts);
  const port = await server.listen();
  return { server, port };
}
