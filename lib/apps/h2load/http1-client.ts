/**
 * h2load's HTTP/1.1 side: a pipelining client over one socket (requests written at once,
 * responses matched in order; bodies by content-length, chunked, or up to the close).
 */
import type * as net from 'net';
import { fieldTokens, fieldValue, parseResponseHead } from '../../transport/http1';
import type { Client } from './client';

/**
 * A pipelining HTTP/1.1 client over one socket: requests are written at once, responses are
 * matched in order. Bodies: content-length, chunked, or up to the close.
 */
export class Http1Client {
  private buf: Buffer = Buffer.alloc(0);
  private readonly queue: { id: number; head: boolean }[] = [];
  private nextId = 1;
  /** The response being read: its id, status, and body framing. */
  private cur: { id: number; mode: 'length' | 'chunked' | 'close' | 'none'; left: number; chunkState: number; final: boolean } | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly client: Client,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      // A body delimited by the close is complete now.
      if (this.cur && this.cur.mode === 'close') this.complete();
      socket.destroy();
    });
  }

  request(head: Buffer, body: Buffer | undefined): number {
    const id = this.nextId;
    this.nextId += 2;
    this.queue.push({ id, head: head.subarray(0, 5).toString('latin1') === 'HEAD ' });
    if (body) this.socket.write(Buffer.concat([head, body]));
    else this.socket.write(head);
    return id;
  }

  private onData(chunk: Buffer): void {
    this.client.onRead(chunk.length);
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    this.client.h1Reading = true;
    try {
      this.parse();
    } catch {
      this.socket.destroy();
    } finally {
      this.client.h1Reading = false;
    }
    // After parsing, as h2load: the progress line of a response comes before its dump.
    if (this.client.host.config.verbose) this.client.host.outRaw(chunk);
  }

  private parse(): void {
    for (;;) {
      if (!this.cur) {
        if (this.buf.length === 0 || this.queue.length === 0) return;
        const p = parseResponseHead(this.buf);
        if (!p) return;
        this.buf = this.buf.subarray(p.consumed);
        const { head } = p;
        const req = this.queue[0];
        const host = this.client.host;
        let d = 0;
        for (const [n, v] of head.fields) d += n.length + v.length;
        host.stats.bytesHead += d;
        host.stats.bytesHeadDecomp += d;
        if (head.status < 200) continue;
        this.client.onStatus(req.id, head.status);
        const closing = fieldTokens(head.fields, 'connection').includes('close') || head.version === 'HTTP/1.0';
        if (closing) this.client.requestNewConnection();
        const te = fieldValue(head.fields, 'transfer-encoding');
        const cl = fieldValue(head.fields, 'content-length');
        if (req.head || head.status === 204 || head.status === 304)
          this.cur = { id: req.id, mode: 'none', left: 0, chunkState: 0, final: closing };
        else if (te && /chunked/i.test(te)) this.cur = { id: req.id, mode: 'chunked', left: 0, chunkState: 0, final: closing };
        else if (cl !== undefined && /^\d+$/.test(cl.trim()))
          this.cur = { id: req.id, mode: 'length', left: Number(cl), chunkState: 0, final: closing };
        else this.cur = { id: req.id, mode: 'close', left: 0, chunkState: 0, final: closing };
      }
      const c = this.cur;
      if (c.mode === 'none' || (c.mode === 'length' && c.left === 0)) {
        this.complete();
        continue;
      }
      if (c.mode === 'close') {
        this.client.onBody(this.buf.length);
        this.buf = Buffer.alloc(0);
        return;
      }
      if (c.mode === 'length') {
        const n = Math.min(c.left, this.buf.length);
        if (n === 0) return;
        this.client.onBody(n);
        c.left -= n;
        this.buf = this.buf.subarray(n);
        if (c.left > 0) return;
        this.complete();
        continue;
      }
      // chunked: chunkState 0 = size line, 1 = data (left bytes), 2 = CRLF after data, 3 = trailers
      if (!this.chunked(c)) return;
    }
  }

  /** Advance the chunked decoder; true when the response completed. */
  private chunked(c: { left: number; chunkState: number }): boolean {
    for (;;) {
      if (c.chunkState === 0) {
        const i = this.buf.indexOf('\r\n');
        if (i < 0) return false;
        const size = parseInt(this.buf.toString('latin1', 0, i).split(';')[0].trim(), 16);
        if (!Number.isFinite(size) || size < 0) throw new Error('bad chunk size');
        this.buf = this.buf.subarray(i + 2);
        if (size === 0) c.chunkState = 3;
        else {
          c.left = size;
          c.chunkState = 1;
        }
      } else if (c.chunkState === 1) {
        const n = Math.min(c.left, this.buf.length);
        if (n === 0) return false;
        this.client.onBody(n);
        c.left -= n;
        this.buf = this.buf.subarray(n);
        if (c.left > 0) return false;
        c.chunkState = 2;
      } else if (c.chunkState === 2) {
        if (this.buf.length < 2) return false;
        this.buf = this.buf.subarray(2);
        c.chunkState = 0;
      } else {
        const i = this.buf.indexOf('\r\n');
        if (i < 0) return false;
        this.buf = this.buf.subarray(i + 2);
        if (i === 0) {
          this.complete();
          return true;
        }
      }
    }
  }

  private complete(): void {
    const c = this.cur!;
    this.cur = undefined;
    this.queue.shift();
    this.client.onStreamClose(c.id, true, c.final);
  }
}
