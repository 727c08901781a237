/**
 * Reads into one reused buffer (connect's and listen's `reuseReadBuffer`, net's `onread`, and
 * {@link adoptSocketReads} for accepted sockets): the deframer and the field-block assembler keep
 * nothing of a chunk past `push`, and a stream's body is copied out of the buffer before the next
 * read overwrites it.
 */
import test from 'ava';
import assert from 'assert';
import * as crypto from 'crypto';
import type { Readable } from 'stream';
import { Deframer } from '../../lib/protocol/frame/deframer';
import { HeaderBlockAssembler, splitHeaderBlock } from '../../lib/protocol/frame/header-block';
import { encodeFrame } from '../../lib/protocol/frame/codec';
import { Flag, FrameType } from '../../lib/protocol/frame/constants';
import type { Frame } from '../../lib/protocol/frame/types';
import * as net from 'net';
import { listen } from '../../lib/transport/server';
import { connect } from '../../lib/transport/client';
import type { Http2Connection } from '../../lib/transport/connection';
import { adoptSocketReads, copyRead, SocketReads } from '../../lib/transport/socket-reads';
import { hashStream, patternHash, patternStream } from '../interop/harness';
import { plain } from '../protocol/frame/helpers';

/** Every chunk a body gives, kept as given (no copy) until its end, then hashed. */
function keptHash(r: Readable): Promise<{ bytes: number; sha256: string }> {
  const kept: Buffer[] = [];
  return new Promise((resolve, reject) => {
    r.on('data', (c: Buffer) => kept.push(c));
    r.on('error', reject);
    r.on('end', () => {
      const hash = crypto.createHash('sha256');
      for (const c of kept) hash.update(c);
      resolve({ bytes: kept.reduce((n, c) => n + c.length, 0), sha256: hash.digest('hex') });
    });
  });
}

/** Frames out of deframer + assembler, each copied (plain) while emitted. */
function readThrough(chunks: Buffer[], reused: Buffer): unknown[] {
  const out: unknown[] = [];
  const assembler = new HeaderBlockAssembler();
  const deframer = new Deframer();
  const emit = (f: Frame) => out.push(plain(f));
  for (const c of chunks) {
    // Each chunk lands in the same buffer, which is scribbled over once push returns.
    c.copy(reused, 0);
    deframer.push(reused.subarray(0, c.length), (f) => assembler.push(f, emit));
    reused.fill(0xee);
  }
  return out;
}

test('deframer + assembler over one reused read buffer, split at every offset: same frames as fresh chunks', (t) => {
  const block = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(3));
  const frames: Frame[] = [
    { type: FrameType.HEADERS, flags: Flag.END_HEADERS | Flag.END_STREAM, streamId: 1, fragment: block },
    ...splitHeaderBlock({ type: FrameType.HEADERS, flags: Flag.END_HEADERS, streamId: 3, fragment: block }, 40),
    { type: FrameType.DATA, flags: 0, streamId: 3, data: Buffer.from('hello, reused buffer') },
    { type: FrameType.PING, flags: 0, streamId: 0, opaqueData: Buffer.from('12345678') },
    { type: FrameType.DATA, flags: Flag.END_STREAM, streamId: 3, data: Buffer.alloc(100, 7) },
  ];
  const bytes = Buffer.concat(frames.map((f) => encodeFrame(f)));
  const reused = Buffer.alloc(bytes.length);
  const expected = readThrough([bytes], Buffer.alloc(bytes.length));
  t.is(expected.length, 5);
  for (let i = 0; i <= bytes.length; i++) {
    assert.deepStrictEqual(readThrough([bytes.subarray(0, i), bytes.subarray(i)], reused), expected, `split at ${i}`);
  }
  for (let i = 0; i + 7 <= bytes.length; i += 3) {
    assert.deepStrictEqual(
      readThrough([bytes.subarray(0, i), bytes.subarray(i, i + 7), bytes.subarray(i + 7)], reused),
      expected,
      `split at ${i}, ${i + 7}`,
    );
  }
  t.pass();
});

test('connect({ reuseReadBuffer }): 8 MiB bodies on two streams and a CONTINUATION-sized head arrive intact', async (t) => {
  const size = 8 * 1024 * 1024;
  const big = 'v'.repeat(20000);
  const l = await listen({ host: '127.0.0.1', port: 0 }, (conn) =>
    conn.on('stream', (st) => {
      st.respond([
        [':status', '200'],
        ['x-big', big],
      ]);
      void st.sendBody(patternStream(size, 16384)).catch(() => undefined);
    }),
  );
  try {
    const c = await connect(`http://127.0.0.1:${l.port}/`, { reuseReadBuffer: true });
    t.true(c.connection.readBufferReused);
    const get = (path: string) =>
      c.connection.request(
        [
          [':method', 'GET'],
          [':scheme', 'http'],
          [':authority', 'x'],
          [':path', path],
        ],
        { endStream: true },
      );
    const streams = [get('/a'), get('/b')];
    const heads = streams.map(
      (st) =>
        new Promise<string | undefined>((r) => st.once('response', (h: [string, string][]) => r(h.find((f) => f[0] === 'x-big')?.[1]))),
    );
    const bodies = await Promise.all(streams.map((st) => keptHash(st.body)));
    for (const b of bodies) t.deepEqual(b, { bytes: size, sha256: patternHash(size) });
    for (const h of await Promise.all(heads)) t.is(h, big);
    await c.connection.close();
  } finally {
    await l.close();
  }
});

test('connect: reuseReadBuffer is ignored for an h2c Upgrade (its handshake reads through data events)', async (t) => {
  const l = await listen({ host: '127.0.0.1', port: 0 }, (conn) =>
    conn.on('stream', (st) => {
      st.respond([[':status', '200']]);
      st.sendData(Buffer.from('upgraded'), true);
    }),
  );
  try {
    const c = await connect(`http://127.0.0.1:${l.port}/`, { reuseReadBuffer: true, upgrade: true });
    t.false(c.connection.readBufferReused);
    const body = await hashStream((c.upgradeStream as NonNullable<typeof c.upgradeStream>).body);
    t.is(body.bytes, 8);
    await c.connection.close();
  } finally {
    await l.close();
  }
});

/** A listening net server whose accepted sockets go to `onSocket`, and a client connected to it. */
async function acceptedPair(onSocket: (s: net.Socket) => void): Promise<{ client: net.Socket; close: () => Promise<void> }> {
  const server = net.createServer(onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  return {
    client,
    close: () => {
      client.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

test('adoptSocketReads: an accepted socket reads into the given buffer (no data event), pauses, resumes and ends', async (t) => {
  const buffer = Buffer.alloc(16);
  const reads = new SocketReads(buffer);
  const got: string[] = [];
  let dataEvents = 0;
  let server!: net.Socket;
  let gotFirst!: () => void;
  const first = new Promise<void>((r) => (gotFirst = r));
  const ended = new Promise<void>((resolve) => {
    void acceptedPair((s) => {
      server = s;
      t.true(adoptSocketReads(s, reads));
      // Once switched, it cannot be switched again (the slots are taken).
      t.false(adoptSocketReads(s, reads));
      s.on('data', () => dataEvents++);
      s.on('end', () => resolve());
      reads.attach({
        socketRead: (chunk) => {
          // A view of the buffer given, valid during the call.
          t.is(chunk.buffer, buffer.buffer);
          got.push(chunk.toString('latin1'));
          gotFirst();
        },
      });
    }).then(async (pair) => {
      pair.client.write('0123456789abcdefghij');
      await first;
      // Paused: what the client sends now waits in the kernel until resume(). On loopback the
      // bytes are in the receive queue once the write callback ran; two event-loop turns (each
      // with its poll phase) would have read them.
      server.pause();
      const before = got.join('');
      await new Promise<void>((r) => pair.client.write('klmnop', () => r()));
      for (let i = 0; i < 2; i++) await new Promise<void>((r) => setImmediate(r));
      t.is(got.join(''), before);
      server.resume();
      pair.client.end();
      await ended;
      await pair.close();
    });
  });
  await ended;
  t.is(got.join(''), '0123456789abcdefghijklmnop');
  // Reads of at most the buffer's size.
  t.true(got.every((c) => c.length <= 16));
  t.is(dataEvents, 0);
});

test('adoptSocketReads leaves a socket whose Readable holds bytes, or anything but a net socket, as it was', async (t) => {
  t.false(adoptSocketReads({}, new SocketReads(16)));
  t.false(adoptSocketReads(null, new SocketReads(16)));
  let server!: net.Socket;
  const pair = await acceptedPair((s) => {
    server = s;
    s.pause();
  });
  try {
    pair.client.write('held');
    await new Promise<void>((r) => {
      const check = () => (server && server.readableLength > 0 ? r() : setTimeout(check, 5));
      check();
    });
    t.false(adoptSocketReads(server, new SocketReads(16)));
    t.is((server.read() as Buffer).toString(), 'held');
  } finally {
    await pair.close();
  }
});

test('listen({ reuseReadBuffer }): 8 MiB request bodies on two streams arrive intact; an h2c Upgrade connection reads the same way', async (t) => {
  const size = 8 * 1024 * 1024;
  const conns: Http2Connection[] = [];
  const l = await listen({ host: '127.0.0.1', port: 0, reuseReadBuffer: true }, (conn) => {
    conns.push(conn);
    conn.on('stream', (st) => {
      void keptHash(st.body).then((b) => {
        st.respond([
          [':status', '200'],
          ['x-got', `${b.bytes} ${b.sha256}`],
        ]);
        st.sendData(Buffer.alloc(0), true);
      });
    });
  });
  try {
    const c = await connect(`http://127.0.0.1:${l.port}/`);
    const put = (path: string) => {
      const st = c.connection.request([
        [':method', 'PUT'],
        [':scheme', 'http'],
        [':authority', 'x'],
        [':path', path],
      ]);
      void st.sendBody(patternStream(size, 16384)).catch(() => undefined);
      return new Promise<string | undefined>((r) =>
        st.once('response', (h: [string, string][]) => r(h.find((f) => f[0] === 'x-got')?.[1])),
      );
    };
    for (const got of await Promise.all([put('/a'), put('/b')])) t.is(got, `${size} ${patternHash(size)}`);
    await c.connection.close();
    // An h2c Upgrade (its request read over HTTP/1.1 before the switch).
    const u = await connect(`http://127.0.0.1:${l.port}/`, { upgrade: true });
    const up = u.upgradeStream as NonNullable<typeof u.upgradeStream>;
    const head = await new Promise<[string, string][]>((r) => up.once('response', r));
    t.is(head.find((f) => f[0] === 'x-got')?.[1], `0 ${patternHash(0)}`);
    await u.connection.close();
    t.is(conns.length, 2);
    for (const conn of conns) t.true(conn.readBufferReused);
  } finally {
    await l.close();
  }
});

test('copyRead: copies of ranges of a reused buffer keep their octets when it is overwritten; copies never share octets', (t) => {
  const reused = Buffer.alloc(65536);
  const copies: { copy: Buffer; want: Buffer }[] = [];
  // Sizes around the slab's end and the own-buffer threshold, at odd offsets.
  const sizes = [1, 7, 8, 9, 1000, 1024, 4095, 4096, 4097, 20000, 32768, 40000, 3, 30000, 5000];
  let seed = 1;
  for (let round = 0; round < 6; round++) {
    for (const n of sizes) {
      for (let i = 0; i < reused.length; i++) reused[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      const start = (seed >>> 8) % (reused.length - n);
      const copy = copyRead(reused, start, start + n);
      t.is(copy.length, n);
      t.is(copy.byteOffset % 8, 0, 'aligned');
      copies.push({ copy, want: Buffer.from(reused.subarray(start, start + n)) });
    }
  }
  reused.fill(0xee);
  for (const { copy, want } of copies) t.true(copy.equals(want));
  // Each copy filled with its own number: no other copy's fill reached it.
  copies.forEach(({ copy }, i) => copy.fill(i));
  copies.forEach(({ copy }, i) => t.true(copy.every((b) => b === i)));
  t.true(copyRead(reused, 5, 5).length === 0);
});
