/**
 * Reads into one reused buffer (connect's `reuseReadBuffer`, net's `onread`): the deframer and the
 * field-block assembler keep nothing of a chunk past `push`, and a stream's body is copied out of
 * the buffer before the next read overwrites it.
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
import { listen } from '../../lib/transport/server';
import { connect } from '../../lib/transport/client';
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
