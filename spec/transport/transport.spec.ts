/**
 * The transport against itself and raw sockets: bounded memory when the peer stops reading,
 * the h2c upgrade on both sides, HTTP/1.1 answers on the HTTP/2 port, ALPN, bad input, graceful
 * close.
 */
import test from 'ava';
import * as net from 'net';
import * as tls from 'tls';
import { Readable } from 'stream';
import { listen, Http2Listener } from '../../lib/transport/server';
import { connect, AlpnError } from '../../lib/transport/client';
import { Http2Connection } from '../../lib/transport/connection';
import type { Http2Stream } from '../../lib/transport/stream';
import { CONNECTION_PREFACE } from '../../lib/protocol/frame/constants';
import { ErrorCode } from '../../lib/protocol/errors';
import { fixtureTls, patternStream } from '../interop/harness';
import { expectQuietFor, until } from '../helpers/wait';
import { getText, memoryPair } from '../helpers/memory-pair';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * For `ms`, `read()` (bytes the server pulled) must stay under `bound`: "nothing more happens for
 * a while", said as such (a quiet period waited for is no proof on a loaded machine, where the
 * server may simply not have run yet). Resolves with the highest value seen, or the message.
 */
async function staysUnder(read: () => number, bound: number, ms: number, what: string): Promise<{ max: number; over?: string }> {
  let max = 0;
  const over = await expectQuietFor(ms, () => {
    max = Math.max(max, read());
    return max >= bound ? `${what}: ${max} bytes` : undefined;
  });
  return { max, over };
}

function rawExchange(port: number, bytes: Buffer | string, opts: { tls?: boolean; alpn?: string[] } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s: net.Socket = opts.tls
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: opts.alpn })
      : net.connect(port, '127.0.0.1');
    s.once(opts.tls ? 'secureConnect' : 'connect', () => s.write(bytes));
    s.on('data', (d) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => s.destroy(), 5000).unref();
  });
}

async function server(onStream: (st: Http2Stream) => void, extra: Parameters<typeof listen>[0] = {}): Promise<Http2Listener> {
  return listen({ host: '127.0.0.1', port: 0, ...extra }, (conn) => conn.on('stream', onStream));
}

test('a client that stops reading stops the server: the body source is pulled only about a window ahead', async (t) => {
  let pulled = 0;
  const l = await server((st) => {
    st.respond([[':status', '200']]);
    const src = patternStream(64 * 1024 * 1024, 16384);
    src.on('data', (c: Buffer) => (pulled += c.length));
    void st.sendBody(src).catch(() => undefined);
  });
  const c = await connect(`http://127.0.0.1:${l.port}/`);
  const st = c.connection.request(
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'x'],
      [':path', '/'],
    ],
    { endStream: true },
  );
  await new Promise((r) => st.once('response', r));
  // The client never reads the body: only the 64 KiB window (plus socket and stream buffers) may move.
  const { max: stuck, over } = await staysUnder(() => pulled, 1024 * 1024, 1000, 'server pulled from a body nobody reads');
  t.log(`stuck at ${stuck}`);
  t.is(over, undefined);
  // Reading resumes the flow.
  let got = 0;
  st.body.on('data', (d: Buffer) => (got += d.length));
  // Polled with a deadline, not "quiet for 100 ms": on a loaded machine a pause is no proof of a stall.
  const deadline = Date.now() + 10000;
  while (got <= stuck + 1024 * 1024 && Date.now() < deadline) await sleep(25);
  const moved = got;
  t.log(`moved ${moved}`);
  t.true(moved > stuck, 'reading released window and more data came');
  st.reset(ErrorCode.CANCEL);
  await c.connection.close();
  await l.close();
});

test('a body Readable taken but not read holds at most its highWaterMark plus a window: the peer stops', async (t) => {
  let pulled = 0;
  const l = await server((st) => {
    st.respond([[':status', '200']]);
    const src = patternStream(64 * 1024 * 1024, 16384);
    src.on('data', (c: Buffer) => (pulled += c.length));
    void st.sendBody(src).catch(() => undefined);
  });
  const c = await connect(`http://127.0.0.1:${l.port}/`);
  const st = c.connection.request(
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'x'],
      [':path', '/'],
    ],
    { endStream: true },
  );
  await new Promise((r) => st.once('response', r));
  // A consumer that read a little, then paused (a proxy whose downstream stopped reading).
  const body = st.body;
  let got = 0;
  let pauseOnce = true;
  body.on('data', (d: Buffer) => {
    got += d.length;
    if (pauseOnce && got >= 16384) {
      pauseOnce = false;
      body.pause();
    }
  });
  const { max: stuck, over } = await staysUnder(() => pulled, 1024 * 1024, 1000, 'server pulled for a paused reader');
  t.log(`stuck at ${stuck}, buffered ${st.bufferedBytes + body.readableLength}`);
  t.is(over, undefined);
  const before = got;
  body.resume();
  const deadline = Date.now() + 10000;
  while (got <= before + 1024 * 1024 && Date.now() < deadline) await sleep(25);
  const moved = got;
  t.true(moved > before + 1024 * 1024, 'resuming released window and more data came');
  st.reset(ErrorCode.CANCEL);
  await c.connection.close();
  await l.close();
});

test('h2c upgrade: our client upgrades to our server; the request is stream 1, later streams work', async (t) => {
  const l = await server((st) => {
    const path = st.requestHeaders.find((h) => h[0] === ':path')?.[1];
    st.respond([[':status', '200']]);
    st.sendData(Buffer.from(`stream ${st.id} ${path}`), true);
  });
  const c = await connect(`http://127.0.0.1:${l.port}/up?x=1`, { upgrade: true });
  t.is(c.upgradeResponse?.status, 101);
  const s1 = c.upgradeStream!;
  t.is(s1.id, 1);
  const text = async (s: Http2Stream) => {
    const chunks: Buffer[] = [];
    for await (const d of s.body) chunks.push(d as Buffer);
    return Buffer.concat(chunks).toString();
  };
  t.is(await text(s1), 'stream 1 /up?x=1');
  const s3 = c.connection.request(
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'x'],
      [':path', '/next'],
    ],
    { endStream: true },
  );
  t.is(await text(s3), 'stream 3 /next');
  await c.connection.close();
  await l.close();
});

test('cleartext port: plain HTTP/1.1 gets a readable 505, a bad head a 400, garbage never crashes', async (t) => {
  const l = await server((st) => st.respond([[':status', '204']], { endStream: true }));
  const plain = (await rawExchange(l.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toString('latin1');
  t.regex(plain, /^HTTP\/1\.1 505 HTTP Version Not Supported\r\n/);
  t.regex(plain, /speaks HTTP\/2/);
  const bad = (await rawExchange(l.port, 'GET / HTTP/1.1\r\nbad header\r\n\r\n')).toString('latin1');
  t.regex(bad, /^HTTP\/1\.1 400 /);
  // Preface then garbage: a GOAWAY (binary), the connection closes, the server lives on.
  const junk = await rawExchange(
    l.port,
    Buffer.concat([CONNECTION_PREFACE, Buffer.from('\x00\x00\x04\x09\x00\x00\x00\x00\x07abcd', 'latin1')]),
  );
  // Walk the frames that came back: the last is GOAWAY (type 7) with PROTOCOL_ERROR, then the socket closed.
  const frames: { type: number; payload: Buffer }[] = [];
  for (let at = 0; at + 9 <= junk.length; ) {
    const len = junk.readUIntBE(at, 3);
    frames.push({ type: junk[at + 3], payload: junk.subarray(at + 9, at + 9 + len) });
    at += 9 + len;
  }
  const last = frames[frames.length - 1];
  t.is(last?.type, 0x7);
  t.is(last?.payload.readUInt32BE(4), ErrorCode.PROTOCOL_ERROR);
  const ok = await rawExchange(l.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  t.regex(ok.toString('latin1'), /^HTTP\/1\.1 505/);
  await l.close();
});

test('TLS: ALPN h2 serves HTTP/2; ALPN http/1.1 gets a readable answer; a client wanting only http/1.1 gets AlpnError', async (t) => {
  const f = fixtureTls();
  const l = await server(
    (st) => {
      st.respond([[':status', '200']]);
      st.sendData(Buffer.from('tls ok'), true);
    },
    { tls: { key: f.key, cert: f.cert } },
  );
  const c = await connect(`https://localhost:${l.port}/`);
  t.is(c.tls?.alpnProtocol, 'h2');
  t.false(c.tls?.authorized);
  t.regex(c.tls?.authorizationError ?? '', /SELF_SIGNED|self.signed/i);
  const st = c.connection.request(
    [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'localhost'],
      [':path', '/'],
    ],
    { endStream: true },
  );
  const chunks: Buffer[] = [];
  for await (const d of st.body) chunks.push(d as Buffer);
  t.is(Buffer.concat(chunks).toString(), 'tls ok');
  await c.connection.close();
  const h1 = (await rawExchange(l.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { tls: true, alpn: ['http/1.1'] })).toString('latin1');
  t.regex(h1, /^HTTP\/1\.1 505 /);
  await t.throwsAsync(connect(`https://localhost:${l.port}/`, { alpnProtocols: ['http/1.1'] }), { instanceOf: AlpnError });
  await l.close();
});

test('graceful close: an in-flight response completes, then the listener is gone', async (t) => {
  let release: () => void = () => undefined;
  let arrived: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const inFlight = new Promise<void>((r) => (arrived = r));
  const l = await server((st) => {
    arrived();
    void gate.then(() => {
      st.respond([[':status', '200']]);
      st.sendData(Buffer.from('late but whole'), true);
    });
  });
  const c = await connect(`http://127.0.0.1:${l.port}/`);
  const st = c.connection.request(
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'x'],
      [':path', '/'],
    ],
    { endStream: true },
  );
  await inFlight;
  const closing = l.close();
  const goaway = new Promise((r) => c.connection.once('goaway', r));
  release();
  const chunks: Buffer[] = [];
  for await (const d of st.body) chunks.push(d as Buffer);
  t.is(Buffer.concat(chunks).toString(), 'late but whole');
  await goaway;
  await closing;
  await t.throwsAsync(connect(`http://127.0.0.1:${l.port}/`, { timeout: 2000 }));
});

test('in-memory pair: a connection works over any Duplex; events$ sees the whole exchange', async (t) => {
  // Two cross-wired Duplexes stand in for a socket pair.
  const [da, db] = memoryPair();
  const srv = new Http2Connection(da, { session: { role: 'server' } });
  srv.on('stream', (st) => {
    st.respond([[':status', '200']]);
    void st.sendBody(Readable.from([Buffer.from('in '), Buffer.from('memory')]));
  });
  const cli = new Http2Connection(db, { session: { role: 'client' } });
  const types: string[] = [];
  cli.events$.subscribe((ev) => types.push(ev.type));
  t.is(await getText(cli), 'in memory');
  t.true(types.includes('responseReceived'));
  t.true(types.includes('streamClosed') || types.includes('streamEnded'));
  await cli.close();
  srv.destroy();
});

/** A raw HTTP/2 client: preface, SETTINGS and WINDOW_UPDATE as given, one GET / (HPACK by hand). */
function rawH2(port: number, opts: { initialWindow?: number; connWindowIncrement?: number; ack?: boolean }): net.Socket {
  const s = net.connect(port, '127.0.0.1');
  const frame = (type: number, flags: number, id: number, payload: Buffer) => {
    const h = Buffer.alloc(9);
    h.writeUIntBE(payload.length, 0, 3);
    h[3] = type;
    h[4] = flags;
    h.writeUInt32BE(id, 5);
    return Buffer.concat([h, payload]);
  };
  const settings = Buffer.alloc(opts.initialWindow !== undefined ? 6 : 0);
  if (opts.initialWindow !== undefined) {
    settings.writeUInt16BE(0x4, 0);
    settings.writeUInt32BE(opts.initialWindow, 2);
  }
  const parts = [CONNECTION_PREFACE, frame(0x4, 0, 0, settings)];
  if (opts.ack) parts.push(frame(0x4, 0x1, 0, Buffer.alloc(0)));
  if (opts.connWindowIncrement) {
    const w = Buffer.alloc(4);
    w.writeUInt32BE(opts.connWindowIncrement);
    parts.push(frame(0x8, 0, 0, w));
  }
  // :method GET (static 2), :scheme http (6), :path / (4), :authority "x" (literal, name index 1).
  const block = Buffer.from([0x82, 0x86, 0x84, 0x01, 0x01, 0x78]);
  parts.push(frame(0x1, 0x4 | 0x1, 1, block));
  s.on('connect', () => s.write(Buffer.concat(parts)));
  s.on('error', () => undefined);
  return s;
}

test('a client with huge windows that stops reading its socket: the server stops at the socket, memory stays bounded', async (t) => {
  let pulled = 0;
  const l = await server((st) => {
    st.respond([[':status', '200']]);
    const src = patternStream(256 * 1024 * 1024, 65536);
    src.on('data', (c: Buffer) => (pulled += c.length));
    void st.sendBody(src).catch(() => undefined);
  });
  const s = rawH2(l.port, { initialWindow: 0x7fffffff, connWindowIncrement: 0x7fffffff - 65535, ack: true });
  s.pause(); // never read: the kernel buffers fill, socket.write() returns false, the server must stop pulling
  const { max: stuck, over } = await staysUnder(() => pulled, 64 * 1024 * 1024, 2000, 'server pulled for a client that reads nothing');
  t.log(`pulled ${stuck} bytes of 256 MiB`);
  t.is(over, undefined);
  s.destroy();
  await l.close();
});

test('SETTINGS timeout: a peer that never ACKs our SETTINGS gets GOAWAY(SETTINGS_TIMEOUT) and the socket closes', async (t) => {
  const l = await listen(
    { host: '127.0.0.1', port: 0, connection: { tickInterval: 50, session: { settingsTimeoutMs: 200 } } },
    () => undefined,
  );
  const s = rawH2(l.port, {});
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  await new Promise<void>((resolve) => {
    s.on('close', () => resolve());
    setTimeout(() => s.destroy(), 5000).unref();
  });
  const all = Buffer.concat(chunks);
  let goaway: Buffer | undefined;
  for (let at = 0; at + 9 <= all.length; ) {
    const len = all.readUIntBE(at, 3);
    if (all[at + 3] === 0x7) goaway = all.subarray(at + 9, at + 9 + len);
    at += 9 + len;
  }
  t.truthy(goaway, 'a GOAWAY came before the close');
  t.is(goaway?.readUInt32BE(4), ErrorCode.SETTINGS_TIMEOUT);
  await l.close();
});

test('ping() resolves with the round-trip time; stream events: end then close(0)', async (t) => {
  const seen: string[] = [];
  const l = await server((st) => {
    st.on('end', () => seen.push('server end'));
    st.on('close', (code: number) => seen.push(`server close ${code}`));
    st.respond([[':status', '204']], { endStream: true });
  });
  const c = await connect(`http://127.0.0.1:${l.port}/`);
  const rtt = await c.connection.ping(Buffer.from('12345678'));
  t.true(rtt >= 0);
  const st = c.connection.request(
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'x'],
      [':path', '/'],
    ],
    { endStream: true },
  );
  await new Promise<void>((r) => st.once('close', () => r()));
  t.is(st.errorCode, 0);
  t.deepEqual(st.responseHeaders, [[':status', '204']]);
  await c.connection.close();
  await l.close();
  t.deepEqual(seen, ['server end', 'server close 0']);
});

test('bodies nobody reads do not stall the connection: a closed stream gives its queued window back', async (t) => {
  // The server answers at once and never touches request bodies.
  const l = await server((st) => {
    st.once('end', () => st.respond([[':status', '200']], { endStream: true }));
  });
  const c = await connect(`http://127.0.0.1:${l.port}/`);
  const body = Buffer.alloc(60000, 1);
  // Five bodies of 60000 octets: over the server's 65535-octet connection window unless the
  // unread bytes of each finished stream are released.
  for (let i = 0; i < 5; i++) {
    const st = c.connection.request([
      [':method', 'POST'],
      [':scheme', 'http'],
      [':authority', 'x'],
      [':path', `/${i}`],
    ]);
    await st.sendBody(body);
    const code = await new Promise<number>((r) => st.once('close', r));
    t.is(code, 0);
  }
  await c.connection.close();
  await l.close();
});

test('destroying a body Readable mid-way resets the stream (CANCEL) and the server sees it', async (t) => {
  let serverClose: (code: number) => void = () => undefined;
  const serverClosed = new Promise<number>((r) => (serverClose = r));
  const l = await server((st) => {
    st.once('close', (code: number) => serverClose(code));
    st.respond([[':status', '200']]);
    void st.sendBody(patternStream(16 * 1024 * 1024)).catch(() => undefined);
  });
  const c = await connect(`http://127.0.0.1:${l.port}/`);
  const st = c.connection.request(
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'x'],
      [':path', '/'],
    ],
    { endStream: true },
  );
  await new Promise<void>((resolve) => st.body.once('data', () => resolve()));
  st.body.destroy();
  t.is(await serverClosed, ErrorCode.CANCEL);
  await c.connection.close();
  await l.close();
});

test('output is coalesced: ten requests arriving in one chunk are answered with one socket write', async (t) => {
  const writes: string[] = [];
  const l2 = await listen({ host: '127.0.0.1', port: 0 }, (conn) => {
    // Every write to the kernel, at the socket handle (what socket.write() ends in, and what the
    // connection's SocketWriter calls directly).
    const h = (conn.socket as unknown as { _handle: Record<string, (...a: unknown[]) => number> })._handle;
    for (const m of ['writeBuffer', 'writev', 'writeLatin1String', 'writeUtf8String']) {
      const f = h[m];
      h[m] = function (this: unknown, ...a: unknown[]) {
        writes.push(m);
        return f.apply(this, a);
      };
    }
    conn.on('stream', (st) => {
      st.respond([[':status', '200']]);
      st.sendData(Buffer.from('ok'), true);
    });
  });
  // A raw client: preface + SETTINGS + SETTINGS ACK first, then ten HEADERS frames in one write.
  const s = net.connect(l2.port, '127.0.0.1');
  const frame = (type: number, flags: number, id: number, payload: Buffer) => {
    const h = Buffer.alloc(9);
    h.writeUIntBE(payload.length, 0, 3);
    h[3] = type;
    h[4] = flags;
    h.writeUInt32BE(id, 5);
    return Buffer.concat([h, payload]);
  };
  // What the server sent, as frame heads: synchronise on the frames themselves, not on quiet time
  // (a loaded machine can stall the server longer than any quiet period).
  let got = Buffer.alloc(0);
  const heads = () => {
    const out: { type: number; flags: number; id: number }[] = [];
    for (let at = 0; at + 9 <= got.length; ) {
      const len = got.readUIntBE(at, 3);
      if (at + 9 + len > got.length) break;
      out.push({ type: got[at + 3], flags: got[at + 4], id: got.readUInt32BE(at + 5) & 0x7fffffff });
      at += 9 + len;
    }
    return out;
  };
  s.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.write(Buffer.concat([CONNECTION_PREFACE, frame(0x4, 0, 0, Buffer.alloc(0)), frame(0x4, 0x1, 0, Buffer.alloc(0))]));
  // The server's answer to that first chunk ends with its ACK of our SETTINGS.
  t.true(await until(() => heads().some((f) => f.type === 0x4 && f.flags & 0x1), { timeoutMs: 20000 }), 'SETTINGS ACK');
  const before = writes.length;
  const block = Buffer.from([0x82, 0x86, 0x84, 0x01, 0x01, 0x78]);
  s.write(Buffer.concat(Array.from({ length: 10 }, (_, i) => frame(0x1, 0x5, 1 + 2 * i, block))));
  // All ten answers in (DATA with END_STREAM on each stream), however long the server took.
  const ended = () => heads().filter((f) => f.type === 0x0 && f.flags & 0x1).length;
  t.true(await until(() => ended() === 10, { timeoutMs: 20000 }), `${ended()} of 10 responses ended`);
  t.is(writes.length - before, 1, `writes after the burst: ${writes.slice(before).join(', ')}`);
  s.destroy();
  await l2.close();
});

test("h2c upgrade: 'upgraded' fires once as the client connection starts, with stream 1 open; a plain connection never fires it", async (t) => {
  const l = await server((st) => {
    st.respond([[':status', '200']]);
    st.sendData(Buffer.from('ok'), true);
  });
  const c = await connect(`http://127.0.0.1:${l.port}/up`, { upgrade: true });
  const seen: boolean[] = [];
  c.connection.on('upgraded', () => {
    seen.push(c.connection.session.isStreamOpen(1));
    // Frames queued here go out with the connection's first write.
    c.connection.session.sendPriority(11, { exclusive: false, dependsOn: 0, weight: 1 });
  });
  const chunks: Buffer[] = [];
  for await (const d of c.upgradeStream!.body) chunks.push(d as Buffer);
  t.is(Buffer.concat(chunks).toString(), 'ok');
  t.deepEqual(seen, [true]);
  await c.connection.close();
  const plain = await connect(`http://127.0.0.1:${l.port}/`);
  let fired = 0;
  plain.connection.on('upgraded', () => fired++);
  await new Promise((r) => setImmediate(r));
  await plain.connection.close();
  t.is(fired, 0);
  await l.close();
});
