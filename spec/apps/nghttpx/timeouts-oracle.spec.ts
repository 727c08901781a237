/**
 * nghttpx's frontend, stream and backend timeouts side by side with Debian's nghttpx: each set
 * short (300 ms) on both proxies, the same raw client against each; what the client sees (frames,
 * answers, when the connection ends) must be the same, and what the reference does is asserted.
 */
import test from 'ava';
import * as http from 'http';
import * as net from 'net';
import { Readable } from 'stream';
import { E, F, frame, headers, PREFACE, RawClient, request, settings, T } from '../nghttpd/raw';
import { compare, HAS_REF } from './oracle-pair';
const t_ = HAS_REF ? test.serial : test.serial.skip;

/** A backend: /slow waits 800 ms; /big streams 64 MiB as the reader takes it; /sink never reads its body. */
async function backend(): Promise<{ port: number; closed: string[]; stop(): Promise<void> }> {
  const closed: string[] = [];
  const server = http.createServer((req, res) => {
    res.once('close', () => closed.push(req.url!));
    if (req.url === '/sink') return;
    req.resume();
    req.on('end', () => {
      if (req.url!.startsWith('/big')) {
        let left = 64 * 1024 * 1024;
        res.writeHead(200, { 'content-length': String(left) });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        new Readable({
          read() {
            if (left <= 0) return void this.push(null);
            left -= chunk.length;
            this.push(chunk);
          },
        }).pipe(res);
        return;
      }
      const send = () => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
        res.end('ok');
      };
      if (req.url === '/slow') setTimeout(send, 800);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    closed,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A raw TCP client: what it wrote, what came back, and when the connection ended (ms after `mark()`). */
class Raw {
  readonly socket: net.Socket;
  data = '';
  endedAt: number | undefined;
  private t0 = Date.now();
  private readonly ended: Promise<void>;
  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('error', () => undefined);
    this.socket.on('data', (d: Buffer) => (this.data += d.toString('latin1')));
    this.ended = new Promise((r) =>
      this.socket.once('close', () => {
        this.endedAt = Date.now() - this.t0;
        r();
      }),
    );
  }
  /** Count the time to the end from now. */
  mark(): void {
    this.t0 = Date.now();
  }
  /** Wait (at most `ms`) for the connection to end; false when it did not. */
  async closed(ms = 20000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.ended.then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)))]);
    clearTimeout(timer);
    this.socket.destroy();
    return r;
  }
  /** Wait (at most `ms`) until the received text matches. */
  async until(re: RegExp, ms = 20000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!re.test(this.data) && this.endedAt === undefined && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const done = () => {
          clearTimeout(t);
          this.socket.off('data', done);
          r();
        };
        const t = setTimeout(done, 50);
        this.socket.on('data', done);
      });
    }
    return re.test(this.data);
  }
}

/** An HTTP/2 client with the handshake done (our SETTINGS sent; theirs acknowledged unless `ack` is false). */
async function h2client(port: number, opts: { ack?: boolean; window?: number } = {}): Promise<RawClient> {
  const c = await RawClient.connect(port, { handshake: false });
  c.send(PREFACE, settings(opts.window === undefined ? [] : [[4, opts.window]]));
  await c.until(() => c.frames.some((f) => f.type === T.SETTINGS && !(f.flags & F.ACK)));
  if (opts.ack !== false) c.send(settings([], F.ACK));
  return c;
}

/** How a connection ended, from the client's side, within `ms`. */
async function h2end(c: RawClient, ms = 20000): Promise<{ closed: boolean; goaway?: { lastStreamId: number; errorCode: number } }> {
  const closed = await c.until(() => c.closed, ms);
  c.close();
  const g = c.goaway();
  return g ? { closed, goaway: g } : { closed };
}

const SHORT = '300ms';

t_('HTTP/1.1 --frontend-read-timeout: a request head that stops coming ends the connection without an answer', async (t) => {
  const be = await backend();
  try {
    const r = await compare([`-b127.0.0.1,${be.port}`, `--frontend-read-timeout=${SHORT}`], async (port) => {
      const c = new Raw(port);
      c.socket.write('GET / HTTP/1.1\r\nHost: a\r\n');
      c.mark();
      const closed = await c.closed();
      return { closed, answered: c.data.length > 0, late: (c.endedAt ?? 0) >= 250 };
    });
    t.deepEqual(r.reference, { closed: true, answered: false, late: true });
    t.deepEqual(r.ours, r.reference);
  } finally {
    await be.stop();
  }
});

t_(
  'HTTP/1.1 --frontend-keep-alive-timeout closes an idle connection after its answer; a slow backend is waited for past the read timeout',
  async (t) => {
    const be = await backend();
    try {
      const args = [`-b127.0.0.1,${be.port}`, `--frontend-read-timeout=${SHORT}`, `--frontend-keep-alive-timeout=${SHORT}`];
      const r = await compare(args, async (port) => {
        const c = new Raw(port);
        // 800 ms at the backend, longer than the read timeout: nghttpx does not read-time-out a served request.
        c.socket.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
        const answered = await c.until(/\r\n\r\nok$/);
        c.mark();
        const closed = await c.closed();
        return { status: c.data.split('\r\n')[0], answered, closed, late: (c.endedAt ?? 0) >= 250 };
      });
      t.deepEqual(r.reference, { status: 'HTTP/1.1 200 OK', answered: true, closed: true, late: true });
      t.deepEqual(r.ours, r.reference);
    } finally {
      await be.stop();
    }
  },
);

t_('HTTP/2 --frontend-http2-read-timeout: an idle connection ends without GOAWAY; an open stream keeps it', async (t) => {
  const be = await backend();
  try {
    const r = await compare([`-b127.0.0.1,${be.port}`, `--frontend-http2-read-timeout=${SHORT}`], async (port) => {
      const idle = await h2client(port);
      const idleEnd = await h2end(idle);
      const busy = await h2client(port);
      busy.send(headers(1, request('/slow')));
      await busy.until(() => busy.body(1).ended || busy.closed);
      const status = busy.status(1);
      const busyEnd = await h2end(busy);
      return { idleEnd, status, busyEnd };
    });
    t.deepEqual(r.reference, { idleEnd: { closed: true }, status: '200', busyEnd: { closed: true } });
    t.deepEqual(r.ours, r.reference);
  } finally {
    await be.stop();
  }
});

t_('HTTP/2 --frontend-http2-settings-timeout: SETTINGS never acknowledged: GOAWAY SETTINGS_TIMEOUT', async (t) => {
  const be = await backend();
  try {
    // The reference's help says "setting"; its parser takes "settings" only: ours takes both.
    const r = await compare([`-b127.0.0.1,${be.port}`, `--frontend-http2-settings-timeout=${SHORT}`], async (port) =>
      h2end(await h2client(port, { ack: false })),
    );
    t.deepEqual(r.reference, { closed: true, goaway: { lastStreamId: 0, errorCode: E.SETTINGS_TIMEOUT } });
    t.deepEqual(r.ours, r.reference);
  } finally {
    await be.stop();
  }
});

t_('HTTP/2 --stream-read-timeout: a request body that stops coming: RST_STREAM INTERNAL_ERROR', async (t) => {
  const be = await backend();
  try {
    const r = await compare([`-b127.0.0.1,${be.port}`, `--stream-read-timeout=${SHORT}`], async (port) => {
      const c = await h2client(port);
      c.send(headers(1, request('/', [], 'POST'), F.END_HEADERS), frame(T.DATA, 0, 1, Buffer.from('abc')));
      await c.until(() => c.rst(1) !== undefined);
      const view = { status: c.status(1), rst: c.rst(1) };
      c.close();
      return view;
    });
    t.deepEqual(r.reference, { status: undefined, rst: E.INTERNAL_ERROR });
    t.deepEqual(r.ours, r.reference);
  } finally {
    await be.stop();
  }
});

t_('HTTP/2 --stream-write-timeout: a response the client never opens a window for: RST_STREAM INTERNAL_ERROR', async (t) => {
  const be = await backend();
  try {
    const r = await compare([`-b127.0.0.1,${be.port}`, `--stream-write-timeout=${SHORT}`], async (port) => {
      const c = await h2client(port, { window: 0 });
      c.send(headers(1, request('/')));
      await c.until(() => c.rst(1) !== undefined);
      const view = { status: c.status(1), bytes: c.body(1).data.length, rst: c.rst(1) };
      c.close();
      return view;
    });
    t.deepEqual(r.reference, { status: '200', bytes: 0, rst: E.INTERNAL_ERROR });
    t.deepEqual(r.ours, r.reference);
  } finally {
    await be.stop();
  }
});

t_('--frontend-write-timeout: a client that stops reading a large answer is dropped', async (t) => {
  const be = await backend();
  try {
    const r = await compare([`-b127.0.0.1,${be.port}`, `--frontend-write-timeout=${SHORT}`], async (port) => {
      const c = new Raw(port);
      c.socket.pause();
      const url = `/big?${port}`;
      c.socket.write(`GET ${url} HTTP/1.1\r\nHost: a\r\n\r\n`);
      // The proxy gives up on the client, so the backend's answer is dropped too: wait for that.
      const deadline = Date.now() + 20000;
      while (!be.closed.includes(url) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
      const dropped = be.closed.includes(url);
      c.socket.resume();
      // Either the connection ends (dropped) or the whole answer arrives (kept).
      const whole = 64 * 1024 * 1024;
      const end = Date.now() + 10000;
      while (c.endedAt === undefined && c.data.length < whole && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
      return { dropped, closed: c.endedAt !== undefined, whole: c.data.length >= whole };
    });
    t.deepEqual(r.ours, { dropped: true, closed: true, whole: false });
    // Debian's nghttpx 1.52 arms its write timer only when a write returns EAGAIN, which a
    // partly-taken writev never does: it keeps such a client forever (a deliberate difference).
    t.log('reference:', r.reference);
  } finally {
    await be.stop();
  }
});

t_('--backend-write-timeout: a backend that does not read the request body: 504', async (t) => {
  const be = await backend();
  try {
    const r = await compare([`-b127.0.0.1,${be.port}`, `--backend-write-timeout=${SHORT}`], async (port) => {
      const c = new Raw(port);
      const body = Buffer.alloc(32 * 1024 * 1024, 'b');
      c.socket.write(`POST /sink HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n`);
      c.socket.write(body);
      await c.until(/^HTTP\/1\.1 \d+/);
      const status = c.data.split('\r\n')[0];
      await c.closed(100);
      return { status };
    });
    t.deepEqual(r.reference, { status: 'HTTP/1.1 504 Gateway Timeout' });
    t.deepEqual(r.ours, r.reference);
  } finally {
    await be.stop();
  }
});

/** An h2 backend that sends its SETTINGS, never acknowledges ours and never answers; records the GOAWAY codes it gets. */
async function silentH2Backend(): Promise<{ port: number; goaways: number[]; stop(): Promise<void> }> {
  const goaways: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
    s.write(settings([]));
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.subarray(0, PREFACE.length).equals(PREFACE)) buf = buf.subarray(PREFACE.length);
      while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
        const len = buf.readUIntBE(0, 3);
        if (buf[3] === T.GOAWAY) goaways.push(buf.readUInt32BE(13));
        buf = buf.subarray(9 + len);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    goaways,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

t_('--backend-http2-settings-timeout: an h2 backend that never acknowledges SETTINGS gets GOAWAY SETTINGS_TIMEOUT', async (t) => {
  const be = await silentH2Backend();
  try {
    const r = await compare([`-b127.0.0.1,${be.port};;proto=h2`, `--backend-http2-settings-timeout=${SHORT}`], async (port) => {
      const c = new Raw(port);
      c.socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      await c.until(/^HTTP\/1\.1 \d+/);
      const status = c.data.split('\r\n')[0];
      await c.closed(100);
      // The GOAWAY and the 502 leave together: give the GOAWAY its moment to arrive.
      const deadline = Date.now() + 20000;
      while (be.goaways.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      const goaways = [...be.goaways];
      be.goaways.length = 0;
      return { status, goaways };
    });
    t.deepEqual(r.reference, { status: 'HTTP/1.1 502 Bad Gateway', goaways: [E.SETTINGS_TIMEOUT] });
    t.deepEqual(r.ours, r.reference);
  } finally {
    await be.stop();
  }
});
