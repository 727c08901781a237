/**
 * The request heads nghttpx writes to one HTTP/1.1 backend, as the latin1 strings the socket
 * writes: made from the last head's pieces where they repeat. Requests to one backend mostly
 * repeat their field lines (User-Agent, Accept, the X-Forwarded-Proto and Via the proxy adds), and
 * often the whole head (one client fetching one resource).
 */
import { http1Name } from './headers';
import type { Field } from './request';

/** Framing line of a request body of unknown length. */
const CHUNKED_LINE = 'Transfer-Encoding: chunked\r\n';

/**
 * The last request head written to a backend and its field lines by position (a backend pool's,
 * shared by its connections). A head equal to the last one (method, target, Host, framing, and each
 * field pair the same pair or the same two strings) is the last head's string again: neither
 * concatenated again nor flattened again when the socket converts it (V8 flattens a concatenated
 * string in place on its first write; each new one cost ~1.3k instructions there and ~1.6k to build,
 * of a proxied request's ~33k). Otherwise the head is built again from the lines that did not change
 * and those that did.
 */
export class RequestHeads {
  private method = '';
  private target = '';
  private host = '';
  private chunked = false;
  /** The last head's field pairs and their lines (`Name: value\r\n`), by position. */
  private readonly pairs: Field[] = [];
  private readonly lines: string[] = [];
  private last = '';
  /** @internal Heads built so far (those not taken whole from the last one). */
  builds = 0;

  /**
   * The head of a request: `METHOD TARGET HTTP/1.1`, `Host: host`, each field in nghttpx's
   * spelling (headers.ts `http1Name`), `Transfer-Encoding: chunked` when `chunked`, the blank line.
   */
  head(method: string, target: string, host: string, fields: readonly Field[], chunked: boolean): string {
    const pairs = this.pairs;
    const lines = this.lines;
    const n = fields.length;
    let same = n === pairs.length;
    for (let i = 0; i < n; i++) {
      const f = fields[i];
      const p = pairs[i];
      if (p === f || (p !== undefined && p[0] === f[0] && p[1] === f[1])) continue;
      pairs[i] = f;
      lines[i] = `${http1Name(f[0])}: ${f[1]}\r\n`;
      same = false;
    }
    if (same && method === this.method && target === this.target && host === this.host && chunked === this.chunked) return this.last;
    if (pairs.length > n) {
      pairs.length = n;
      lines.length = n;
    }
    this.builds++;
    let h = `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\n`;
    for (let i = 0; i < n; i++) h += lines[i];
    // A body of unknown length (an HTTP/2 request without content-length, a chunked HTTP/1.1 one)
    // goes chunked, as the reference sends it.
    if (chunked) h += CHUNKED_LINE;
    h += '\r\n';
    this.method = method;
    this.target = target;
    this.host = host;
    this.chunked = chunked;
    this.last = h;
    return h;
  }
}
