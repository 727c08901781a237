/**
 * What the listener reads before HTTP/2 starts: raw-data listeners see those bytes too; HTTP/1.1
 * error answers let close() finish; bytes that can be neither the preface nor a request line are
 * answered at once instead of after the handshake timeout.
 */
import test from 'ava';
import * as net from 'net';
import { listen } from '../../lib/transport/server';
import { couldBeHttp1Request } from '../../lib/transport/http1';
import { encodeFrame } from '../../lib/protocol/frame/codec';
import { CONNECTION_PREFACE, Flag, FrameType } from '../../lib/protocol/frame/constants';
import type { Frame } from '../../lib/protocol/frame/types';
import { HpackEncoder } from '../../lib/protocol/hpack/encoder';
import { ErrorCode } from '../../lib/protocol/errors';

/** Resolves true when `p` settles within `ms`, false otherwise (a bound, not a speed assertion). */
function within<T>(p: Promise<T>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      () => {
        clearTimeout(t);
        resolve(true);
      },
    );
  });
}

function connectRaw(port: number, allowHalfOpen = false): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen }, () => resolve(s));
    s.on('error', reject);
  });
}

test('couldBeHttp1Request: every prefix of real request lines is plausible; garbage is not', (t) => {
  for (const line of [
    'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
    'OPTIONS * HTTP/1.0\r\n',
    'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    'POST http://a.example/x?y=1 HTTP/1.1\r\n',
  ]) {
    const b = Buffer.from(line, 'latin1');
    for (let i = 0; i <= b.length; i++) t.true(couldBeHttp1Request(b.subarray(0, i)), `${JSON.stringify(line)} cut at ${i}`);
  }
  for (const bad of [
    '\x16\x03\x01\x02\x00',
    ' GET',
    'GET  /',
    'GET / XTTP/1.1',
    'GET / HTTP/x',
    'GET / HTTP/1.1\n',
    'GET /\x01 HTTP/1.1',
    '\0\0\0\x04',
  ]) {
    t.false(couldBeHttp1Request(Buffer.from(bad, 'latin1')), JSON.stringify(bad));
  }
});

test('raw-data listeners (the option and any number of rawData listeners) see every byte, the sniffed preface included', async (t) => {
  const seen: Buffer[][] = [[], [], []];
  let done!: () => void;
  const answered = new Promise<void>((r) => (done = r));
  const l = await listen({ connection: { onRawData: (c) => seen[0].push(c) } }, (conn) => {
    conn.on('rawData', (c) => seen[1].push(c));
    conn.on('rawData', (c) => seen[2].push(c));
    conn.on('stream', (st) => {
      st.respond([[':status', '200']], { endStream: true });
      done();
    });
  });
  const enc = new HpackEncoder();
  const sent = Buffer.concat([
    CONNECTION_PREFACE,
    encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] } as Frame),
    encodeFrame({
      type: FrameType.HEADERS,
      flags: Flag.END_HEADERS | Flag.END_STREAM,
      streamId: 1,
      fragment: enc.encode([
        [':method', 'GET'],
        [':scheme', 'http'],
        [':authority', 'x'],
        [':path', '/'],
      ]),
    } as Frame),
  ]);
  const s = await connectRaw(l.port);
  s.on('data', () => undefined);
  s.write(sent);
  t.true(await within(answered, 20000));
  s.destroy();
  await l.close();
  for (const list of seen) t.true(Buffer.concat(list).equals(sent));
});

test('after an HTTP/1.1 400 answer, close() resolves even though the client never closes its side', async (t) => {
  const l = await listen({}, () => undefined);
  // A client that keeps its side open after the server's FIN.
  const s = await connectRaw(l.port, true);
  const got: Buffer[] = [];
  s.on('data', (c) => got.push(c));
  s.on('error', () => undefined);
  s.write('GET / HTTP/1.1\r\nbad header line\r\n\r\n');
  const answered = new Promise<void>((r) => s.once('end', () => r()));
  t.true(await within(answered, 20000));
  t.regex(Buffer.concat(got).toString('latin1'), /^HTTP\/1\.1 400 /);
  t.true(await within(l.close(), 20000), 'listener.close() resolved');
  s.destroy();
});

/** The frames in `bytes` (type, payload), as far as they are whole. */
function framesIn(bytes: Buffer): { type: number; payload: Buffer }[] {
  const out: { type: number; payload: Buffer }[] = [];
  for (let at = 0; at + 9 <= bytes.length; ) {
    const len = bytes.readUIntBE(at, 3);
    if (at + 9 + len > bytes.length) break;
    out.push({ type: bytes[at + 3], payload: bytes.subarray(at + 9, at + 9 + len) });
    at += 9 + len;
  }
  return out;
}

/** Send `bytes`, half-close, and collect everything until the server closes (bounded by 20 s). */
async function exchange(port: number, bytes: Buffer): Promise<{ closed: boolean; got: Buffer }> {
  const s = await connectRaw(port);
  const got: Buffer[] = [];
  s.on('data', (c) => got.push(c));
  s.on('error', () => undefined);
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  s.write(bytes);
  const ok = await within(closed, 20000);
  s.destroy();
  return { closed: ok, got: Buffer.concat(got) };
}

test('an invalid preface gets SETTINGS then GOAWAY(PROTOCOL_ERROR, last stream 0) and the connection closes', async (t) => {
  const l = await listen({ handshakeTimeout: 60000 }, () => t.fail('no connection is made of an invalid preface'));
  try {
    const cases: [string, Buffer][] = [
      ['a preface gone wrong after PRI', Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n', 'latin1')],
      ['a preface for another version', Buffer.from('PRI * HTTP/3.0\r\n\r\nSM\r\n\r\n', 'latin1')],
      ['binary garbage', Buffer.from([0x00, 0x00, 0x12, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00])],
      ['text that is no request line', Buffer.from('hello there, HTTP/2 server\r\n', 'latin1')],
    ];
    for (const [what, bytes] of cases) {
      const { closed, got } = await exchange(l.port, bytes);
      t.true(closed, `${what}: closed well before the 60 s handshake timeout`);
      const frames = framesIn(got);
      t.deepEqual(
        frames.map((f) => f.type),
        [0x4, 0x7],
        `${what}: SETTINGS, GOAWAY`,
      );
      t.is(frames[1]?.payload.readUInt32BE(0), 0, `${what}: no stream processed`);
      t.is(frames[1]?.payload.readUInt32BE(4), ErrorCode.PROTOCOL_ERROR, `${what}: PROTOCOL_ERROR`);
    }
    // A plausible HTTP/1.1 request still gets HTTP/1.1 text.
    const { got } = await exchange(l.port, Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n', 'latin1'));
    t.regex(got.toString('latin1'), /^HTTP\/1\.1 505 /);
  } finally {
    await l.close();
  }
});

test('bytes that are neither the preface nor a request line are answered at once, not after the handshake timeout', async (t) => {
  const l = await listen({ handshakeTimeout: 60000 }, () => undefined);
  try {
    const s = await connectRaw(l.port);
    const got: Buffer[] = [];
    s.on('data', (c) => got.push(c));
    s.on('error', () => undefined);
    // A TLS ClientHello start sent to the cleartext port.
    s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.end();
    t.true(await within(closed, 20000), 'the server answered and closed well before its 60 s timeout');
    t.deepEqual(
      framesIn(Buffer.concat(got)).map((f) => f.type),
      [0x4, 0x7],
      'SETTINGS, then GOAWAY',
    );
  } finally {
    await l.close();
  }
});
