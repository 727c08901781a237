/**
 * Test helpers for nghttpd specs: a throw-away document root, an in-process server, and a raw
 * HTTP/2 client that writes hand-built frames and records what comes back (no library code on
 * the client side, so the server is checked against bytes, not against itself).
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';
import { parseArgs } from '../../../lib/apps/nghttpd/options';
import { startNghttpd, NghttpdServer } from '../../../lib/apps/nghttpd/server';
import { repoRoot } from '../../helpers/repo';
import { F, PREFACE, settings, T } from '../../helpers/wire';

const hpack = require('hpack.js');

export { repoRoot };
export const KEY = path.join(repoRoot(), 'spec/fixtures/server.key');
export const CERT = path.join(repoRoot(), 'spec/fixtures/server.crt');

/** A document root with a page and its assets, a 1 KiB and a 100 KiB file. */
export function makeDocroot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpd-www-'));
  fs.writeFileSync(
    path.join(root, 'index.html'),
    '<html><head><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head>' +
      '<body><img src="/img.png">hello</body></html>\n',
  );
  fs.writeFileSync(path.join(root, 'style.css'), 'body { color: red }\n');
  fs.writeFileSync(path.join(root, 'app.js'), 'console.log(1);\n');
  fs.writeFileSync(path.join(root, 'img.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
  fs.writeFileSync(path.join(root, '1k'), Buffer.alloc(1024, 'a'));
  const big = Buffer.alloc(100 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  fs.writeFileSync(path.join(root, '100k'), big);
  fs.mkdirSync(path.join(root, 'sub'));
  fs.writeFileSync(path.join(root, 'sub', 'index.html'), 'sub\n');
  return root;
}

/** A server started in-process from nghttpd argv (port 0 is appended with the key/cert unless given). */
export async function startServer(argv: string[], opts: { tls?: boolean; out?: string[] } = {}): Promise<NghttpdServer> {
  const full = opts.tls ? [...argv, '0', KEY, CERT] : ['--no-tls', ...argv, '0'];
  const parsed = parseArgs(full);
  if (parsed.kind !== 'run') throw new Error('bad argv');
  const out = opts.out ?? [];
  return startNghttpd(parsed.options, {
    out: { write: (c: Buffer | string) => out.push(c.toString()) },
    err: { write: (c: Buffer | string) => out.push(c.toString()) },
    printListen: false,
  });
}

export * from '../../helpers/wire';

/** A received frame. */
export interface RawFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A raw client: sends bytes, parses frames back, decodes response header blocks with hpack.js. */
export class RawClient {
  readonly frames: RawFrame[] = [];
  closed = false;
  bytesReceived = 0;
  private buf: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private readonly decomp = hpack.decompressor.create({ table: { size: 4096, maxSize: 4096 } });
  /** Decoded header lists by stream id (HEADERS and PUSH_PROMISE, in order). */
  readonly headerLists = new Map<number, Array<Array<[string, string]>>>();

  constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connect; with `handshake`, send the preface and an empty SETTINGS. */
  static async connect(port: number, o: { tls?: boolean; handshake?: boolean; alpn?: string[] } = {}): Promise<RawClient> {
    const sock: net.Socket = await new Promise((resolve, reject) => {
      if (o.tls) {
        const s = tls.connect(
          { port, host: '127.0.0.1', ALPNProtocols: o.alpn ?? ['h2'], rejectUnauthorized: false, servername: 'localhost' },
          () => resolve(s),
        );
        s.once('error', reject);
      } else {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      }
    });
    const c = new RawClient(sock);
    if (o.handshake ?? true) c.send(PREFACE, settings([]));
    return c;
  }

  send(...bufs: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(bufs));
  }

  private onData(c: Buffer): void {
    this.bytesReceived += c.length;
    this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) break;
      const f: RawFrame = {
        type: this.buf[3],
        flags: this.buf[4],
        streamId: this.buf.readUInt32BE(5) & 0x7fffffff,
        payload: this.buf.subarray(9, 9 + len),
      };
      this.buf = this.buf.subarray(9 + len);
      if (f.type === T.HEADERS || f.type === T.PUSH_PROMISE) this.decodeBlock(f);
      this.frames.push(f);
    }
    this.wake();
  }

  private decodeBlock(f: RawFrame): void {
    let p = f.payload;
    let pad = 0;
    if (f.flags & F.PADDED) {
      pad = p[0];
      p = p.subarray(1);
    }
    if (f.type === T.HEADERS && f.flags & F.PRIORITY) p = p.subarray(5);
    if (f.type === T.PUSH_PROMISE) p = p.subarray(4);
    p = p.subarray(0, p.length - pad);
    try {
      this.decomp.write(p);
      this.decomp.execute();
      const list: Array<[string, string]> = [];
      for (let h = this.decomp.read(); h; h = this.decomp.read()) list.push([h.name, h.value]);
      const id = f.type === T.PUSH_PROMISE ? f.payload.readUInt32BE(f.flags & F.PADDED ? 1 : 0) & 0x7fffffff : f.streamId;
      const arr = this.headerLists.get(id) ?? [];
      arr.push(list);
      this.headerLists.set(id, arr);
    } catch {
      // Not our concern here: specs that care look at the frames.
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /**
   * Wait until `pred` holds on what was received (or the socket closed); bounded by `ms` (default
   * 20 s, as helpers/wait's: at load 25 a server can take seconds to answer what takes it 10 ms).
   * Returns as soon as `pred` holds, so a long bound costs nothing when all is well.
   */
  async until(pred: () => boolean, ms = 20000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (this.closed) return pred();
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  find(type: number, streamId?: number): RawFrame | undefined {
    return this.frames.find((f) => f.type === type && (streamId === undefined || f.streamId === streamId));
  }
  goaway(): { lastStreamId: number; errorCode: number } | undefined {
    const g = this.find(T.GOAWAY);
    return g ? { lastStreamId: g.payload.readUInt32BE(0) & 0x7fffffff, errorCode: g.payload.readUInt32BE(4) } : undefined;
  }
  rst(streamId: number): number | undefined {
    const r = this.find(T.RST_STREAM, streamId);
    return r ? r.payload.readUInt32BE(0) : undefined;
  }
  status(streamId: number): string | undefined {
    return this.headerLists.get(streamId)?.[0]?.find((h) => h[0] === ':status')?.[1];
  }
  /** DATA bytes received on a stream and whether END_STREAM came. */
  body(streamId: number): { data: Buffer; ended: boolean } {
    const parts: Buffer[] = [];
    let ended = false;
    for (const f of this.frames) {
      if (f.streamId !== streamId) continue;
      if (f.type === T.DATA) {
        let p = f.payload;
        if (f.flags & F.PADDED) p = p.subarray(1, p.length - p[0]);
        parts.push(p);
      }
      if ((f.type === T.DATA || f.type === T.HEADERS) && f.flags & F.END_STREAM) ended = true;
    }
    return { data: Buffer.concat(parts), ended };
  }
  close(): void {
    this.socket.destroy();
  }
}
