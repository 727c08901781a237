/**
 * Bad clients never take nghttpd down: garbage, a reader that stops, rapid open+reset, PING,
 * SETTINGS, CONTINUATION and empty-DATA floods are cut off (GOAWAY ENHANCE_YOUR_CALM or a close)
 * or throttled, memory stays bounded, and a well-behaved client on the side is served throughout.
 */
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import type { NghttpdServer } from '../../../lib/apps/nghttpd/server';
import { block, E, F, frame, headers, makeDocroot, RawClient, request, settings, startServer, T, u32 } from './raw';
import { seededBytes } from '../../helpers/random';
import { expectQuietFor, until } from '../../helpers/wait';

let root: string;
let server: NghttpdServer;
test.before(async () => {
  root = makeDocroot();
  fs.writeFileSync(path.join(root, '4m'), Buffer.alloc(4 * 1024 * 1024, 'z'));
  server = await startServer(['-d', root]);
});
test.after.always(async () => {
  await server?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const ACK = settings([], F.ACK);

/** A good client: gets /1k and checks it. */
async function goodClientServed(port: number): Promise<boolean> {
  const c = await RawClient.connect(port);
  try {
    c.send(ACK, headers(1, request('/1k')));
    const ok = await c.until(() => c.body(1).ended);
    return ok && c.status(1) === '200' && c.body(1).data.length === 1024;
  } finally {
    c.close();
  }
}

/** Cut off: a GOAWAY with `code` arrived or the connection was closed. */
async function cutOff(c: RawClient, code: number): Promise<string> {
  await c.until(() => c.goaway() !== undefined || c.closed);
  const g = c.goaway();
  if (g) return g.errorCode === code ? 'goaway' : `goaway ${g.errorCode}`;
  return c.closed ? 'closed' : 'still open';
}

test.serial('garbage instead of a preface is dropped; others are served', async (t) => {
  for (let i = 0; i < 5; i++) {
    const c = await RawClient.connect(server.port, { handshake: false });
    // More than the 64 KiB an HTTP/1.1 head may take. The same bytes every run (helpers/random).
    c.send(seededBytes(70 * 1024, 1 + i));
    t.true(await c.until(() => c.closed), 'garbage connection closed');
    c.close();
  }
  t.true(await goodClientServed(server.port));
});

test.serial('garbage after a valid preface: a connection error, not a crash', async (t) => {
  for (let i = 0; i < 10; i++) {
    const c = await RawClient.connect(server.port);
    // The same bytes every run: about one random 2 KiB in 1700 starts with a frame header that
    // announces more bytes than follow (an unknown type is ignored), and the server then waits.
    c.send(seededBytes(2048, 100 + i));
    t.true(await c.until(() => c.closed));
    c.close();
  }
  t.true(await goodClientServed(server.port));
});

test.serial('a client that stops reading: the server buffers a bounded amount and keeps serving others', async (t) => {
  const c = await RawClient.connect(server.port, { handshake: false });
  c.socket.pause(); // never read again
  const reqs: Buffer[] = [
    Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    settings([[4, 2 ** 31 - 1]]),
    ACK,
    frame(T.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1 - 65535)),
  ];
  for (let i = 0; i < 50; i++) reqs.push(headers(1 + 2 * i, request('/4m')));
  c.send(...reqs); // 50 x 4 MiB = 200 MiB asked for
  const bufferedNow = () => {
    let n = 0;
    for (const conn of server.listener.connections) {
      n += (conn.socket as unknown as { writableLength: number }).writableLength ?? 0;
      for (const id of conn.streams.keys()) n += conn.session.queuedBytes(id);
    }
    return n;
  };
  // The server has taken all 50 requests (its streams open, or already served)...
  const seen = () => Math.max(0, ...[...server.listener.connections].map((conn) => conn.session.lastPeerStreamId ?? 0));
  t.true(await until(() => seen() >= 99), `the server saw streams up to ${seen()}`);
  // ...and for 1 s after, what it holds for this client stays bounded.
  let buffered = 0;
  const over = await expectQuietFor(1000, () => {
    buffered = Math.max(buffered, bufferedNow());
    return buffered >= 32 * 1024 * 1024 ? `server-side buffered ${buffered} bytes` : undefined;
  });
  t.is(over, undefined);
  t.log(`server-side buffered up to ${buffered} bytes`);
  t.true(await goodClientServed(server.port));
  c.close();
});

test.serial('rapid open+reset is cut off with ENHANCE_YOUR_CALM; others are served', async (t) => {
  const c = await RawClient.connect(server.port);
  c.send(ACK);
  const during = goodClientServed(server.port); // served while the attack runs
  let id = 1;
  for (let round = 0; round < 50 && !c.closed && c.goaway() === undefined; round++) {
    const batch: Buffer[] = [];
    for (let i = 0; i < 100; i++, id += 2) batch.push(headers(id, request('/1k')), frame(T.RST_STREAM, 0, id, u32(E.CANCEL)));
    c.send(...batch);
    await new Promise((r) => setImmediate(r));
  }
  t.is(await cutOff(c, E.ENHANCE_YOUR_CALM), 'goaway');
  t.true(id <= 5001, `cut off after ${(id - 1) / 2} resets`);
  t.true(await during, 'a good client was served during the attack');
  c.close();
  t.true(await goodClientServed(server.port));
});

for (const [name, make] of [
  ['PING', () => frame(T.PING, 0, 0, Buffer.alloc(8))],
  ['SETTINGS', () => settings([[3, 100]])],
] as const) {
  test.serial(`a ${name} flood is cut off with ENHANCE_YOUR_CALM; others are served`, async (t) => {
    const c = await RawClient.connect(server.port);
    c.send(ACK);
    const during = goodClientServed(server.port);
    let sent = 0;
    for (let round = 0; round < 50 && !c.closed && c.goaway() === undefined; round++) {
      const batch: Buffer[] = [];
      for (let i = 0; i < 200; i++) batch.push(make());
      c.send(...batch);
      sent += 200;
      await new Promise((r) => setImmediate(r));
    }
    const how = await cutOff(c, E.ENHANCE_YOUR_CALM);
    t.true(how === 'goaway' || how === 'closed', how);
    t.true(sent <= 10000);
    t.true(await during, 'a good client was served during the flood');
    c.close();
    t.true(await goodClientServed(server.port));
  });
}

test.serial('a PING flood from a client that does not read is cut off (queued control frames bounded)', async (t) => {
  const c = await RawClient.connect(server.port);
  c.socket.pause();
  c.send(ACK);
  for (let round = 0; round < 20; round++) {
    const batch: Buffer[] = [];
    for (let i = 0; i < 500; i++) batch.push(frame(T.PING, 0, 0, Buffer.alloc(8)));
    c.send(...batch);
    await new Promise((r) => setImmediate(r)); // let the server read between rounds
  }
  c.socket.resume();
  const how = await cutOff(c, E.ENHANCE_YOUR_CALM);
  t.true(how === 'goaway' || how === 'closed', how);
  c.close();
  t.true(await goodClientServed(server.port));
});

test.serial('a CONTINUATION flood is cut off; others are served', async (t) => {
  const c = await RawClient.connect(server.port);
  c.send(ACK, frame(T.HEADERS, F.END_STREAM, 1, block(request('/1k'))));
  for (let i = 0; i < 1000 && !c.closed && c.goaway() === undefined; i++) {
    c.send(frame(T.CONTINUATION, 0, 1, block([['x-flood', 'a'.repeat(100)]])));
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  await c.until(() => c.goaway() !== undefined || c.closed);
  t.true(c.goaway() !== undefined || c.closed, 'cut off');
  if (c.goaway()) t.not(c.goaway()!.errorCode, E.NO_ERROR);
  c.close();
  t.true(await goodClientServed(server.port));
});

test.serial('an empty-DATA flood is cut off; others are served', async (t) => {
  const c = await RawClient.connect(server.port);
  c.send(ACK, headers(1, request('/1k', [], 'POST'), F.END_HEADERS));
  for (let round = 0; round < 20 && !c.closed && c.goaway() === undefined; round++) {
    const batch: Buffer[] = [];
    for (let i = 0; i < 500; i++) batch.push(frame(T.DATA, 0, 1));
    c.send(...batch);
    await new Promise((r) => setImmediate(r));
  }
  const how = await cutOff(c, E.ENHANCE_YOUR_CALM);
  t.true(how === 'goaway' || how === 'closed', how);
  c.close();
  t.true(await goodClientServed(server.port));
});

test.serial('many connections opened and dropped mid-request leave the server serving', async (t) => {
  for (let i = 0; i < 30; i++) {
    const c = await RawClient.connect(server.port);
    c.send(ACK, headers(1, request('/4m')), headers(3, request('/100k')));
    if (i % 2) c.socket.destroy();
    else c.socket.end();
  }
  t.true(await goodClientServed(server.port));
  // Nothing leaks: every dropped connection is gone shortly after.
  const ok = await until(() => server.listener.connections.size === 0, { intervalMs: 50 });
  t.true(ok, `${server.listener.connections.size} connections left`);
});

test.serial('TLS: garbage instead of a ClientHello is dropped; TLS clients are still served', async (t) => {
  const s = await startServer(['-d', root], { tls: true });
  try {
    for (let i = 0; i < 5; i++) {
      const c = await RawClient.connect(s.port, { handshake: false });
      // Not a TLS record header: random bytes starting 0x80+ with byte 2 = 1 (an SSLv2 hello) or
      // with byte 1 = 3 (a version major of 3) announce a record longer than 4096 bytes about once
      // in 400 connections, and the server then rightly waits for the rest (seen in CI).
      c.send(Buffer.concat([Buffer.from('GARBAGE'), seededBytes(4089, 300 + i)]));
      t.true(await c.until(() => c.closed), 'garbage connection closed');
      c.close();
    }
    const g = await RawClient.connect(s.port, { tls: true });
    g.send(
      ACK,
      headers(1, [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'localhost'],
        [':path', '/1k'],
      ]),
    );
    t.true(await g.until(() => g.body(1).ended));
    t.is(g.status(1), '200');
    g.close();
  } finally {
    await s.close();
  }
});

test.serial('a 70 KB header list is refused, not served; others are served', async (t) => {
  const c = await RawClient.connect(server.port);
  try {
    const b = block(request('/1k', [['x-big', 'a'.repeat(70000)]]));
    const parts: Buffer[] = [];
    for (let i = 0; i < b.length; i += 16000) parts.push(b.subarray(i, i + 16000));
    c.send(
      ACK,
      ...parts.map((p, i) =>
        i === 0
          ? frame(T.HEADERS, F.END_STREAM | (parts.length === 1 ? F.END_HEADERS : 0), 1, p)
          : frame(T.CONTINUATION, i === parts.length - 1 ? F.END_HEADERS : 0, 1, p),
      ),
    );
    t.true(await c.until(() => c.rst(1) !== undefined || c.goaway() !== undefined || c.status(1) !== undefined));
    const st = c.status(1);
    t.true(st === undefined || st === '431', `status ${st}`);
    t.not(c.goaway()?.errorCode, E.NO_ERROR);
  } finally {
    c.close();
  }
  t.true(await goodClientServed(server.port));
});
