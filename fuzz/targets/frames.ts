/**
 * Target `frames`: the reading frame layers (Deframer -> HeaderBlockAssembler -> HPACK
 * decoding) fed raw bytes, once whole and once cut into pieces. Clean outcomes: frames, stream
 * errors reported through `onStreamError`, and a thrown H2Error (ConnectionError,
 * CompressionError). Invariants: how the bytes are cut never changes what comes out; every frame
 * the parser accepts, encoded again by our encoder, parses to the same frame.
 */
import { H2Error, StreamError } from '../../lib/protocol/errors';
import { Deframer } from '../../lib/protocol/frame/deframer';
import { encodeFrame } from '../../lib/protocol/frame/encode';
import { FrameReader } from '../../lib/protocol/frame/pipeline';
import type { Frame } from '../../lib/protocol/frame/types';
import { HpackDecoder } from '../../lib/protocol/hpack/decoder';
import { chunksOf, FuzzTarget, InvariantError } from './target';

function describe(f: Frame): string {
  const h = (f as { headers?: unknown[] }).headers;
  return `${f.type}/${f.flags}/${f.streamId}/${f.length}${h ? `/h${h.length}` : ''}`;
}

/** Read `chunks` through a fresh reader; the outcome as one string. */
function read(chunks: Buffer[], preface: boolean): string {
  const out: string[] = [];
  const reader = new FrameReader({
    expectPreface: preface,
    decoder: new HpackDecoder(),
    onStreamError: (e: StreamError) => out.push(`stream-error ${e.code} ${e.streamId}`),
  });
  const emit = (f: Frame) => out.push(describe(f));
  try {
    for (const c of chunks) reader.push(c, emit);
    reader.end(emit);
  } catch (err) {
    if (!(err instanceof H2Error)) throw err;
    out.push(`${err.name} ${err.code} ${err.scope}`);
  }
  return out.join(' ');
}

/** A parsed frame's content, without what encoding may legitimately change (length, padding). */
function canonical(f: Frame): string {
  const { length: _l, padLength: _p, flags, ...rest } = f as Frame & { padLength?: number };
  const PADDED = 0x8;
  const padded = f.type === 0x0 || f.type === 0x1 || f.type === 0x5;
  return JSON.stringify({ ...rest, flags: padded ? flags & ~PADDED : flags }, (_k, v: unknown) =>
    v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
      ? Buffer.from((v as { data: number[] }).data).toString('hex')
      : v,
  );
}

/** Parse each frame of `input` alone (no assembly), encode it, parse it again: same frame? */
function roundTrip(input: Buffer, preface: boolean): void {
  const frames: Frame[] = [];
  try {
    const d = new Deframer({ expectPreface: preface, onStreamError: () => undefined });
    d.push(input, (f) => frames.push(f));
  } catch (err) {
    if (!(err instanceof H2Error)) throw err;
  }
  for (const f of frames) {
    const bytes = encodeFrame(f);
    const again: Frame[] = [];
    new Deframer().push(bytes, (g) => again.push(g));
    if (again.length !== 1 || canonical(again[0]) !== canonical(f)) {
      throw new InvariantError(
        `encode(parse(x)) changed a frame:\n  parsed:  ${canonical(f).slice(0, 300)}\n  again:   ${again.map(canonical).join(' ').slice(0, 300)}`,
      );
    }
  }
}

export const target: FuzzTarget = {
  name: 'frames',
  maxLen: 4096,
  frames: true,
  dictionary: [
    'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    Buffer.from('000000040000000000', 'hex'), // empty SETTINGS
    Buffer.from('000000040100000000', 'hex'), // SETTINGS ACK
    Buffer.from('0000080600000000000000000000000000', 'hex'), // PING
    Buffer.from('000004080000000000', 'hex'), // WINDOW_UPDATE header
    Buffer.from('000004030000000001', 'hex'), // RST_STREAM header
    Buffer.from('000001010500000001', 'hex'), // HEADERS END_STREAM|END_HEADERS
    Buffer.from('000001090400000001', 'hex'), // CONTINUATION END_HEADERS
    Buffer.from('000001090000000001', 'hex'), // CONTINUATION
    Buffer.from('000005020000000003', 'hex'), // PRIORITY header
    Buffer.from('000000000100000001', 'hex'), // DATA END_STREAM
    Buffer.from('0000080700000000000000000000000000', 'hex'), // GOAWAY
    Buffer.from('000000050400000001', 'hex'), // PUSH_PROMISE header
    Buffer.from('0000000a0000000000', 'hex'), // ALTSVC
    Buffer.from('0000000c0000000000', 'hex'), // ORIGIN
    Buffer.from('000000100000000000', 'hex'), // PRIORITY_UPDATE
    Buffer.from([0x82]),
    Buffer.from([0x84]),
    Buffer.from([0x86]),
    Buffer.from([0x3f, 0xe1, 0x1f]),
    Buffer.from([0x7f, 0xff, 0xff, 0xff]),
    Buffer.from([0x00, 0x00, 0x40, 0x00]),
  ],
  run(input: Buffer): void {
    const preface = input.length > 0 && input[0] === 0x50; // 'P': a server side that expects the preface
    const whole = read([input], preface);
    const pieces = read(chunksOf(input, 1), preface);
    if (whole !== pieces) {
      throw new InvariantError(`chunking changed the outcome:\n  whole:  ${whole.slice(0, 400)}\n  pieces: ${pieces.slice(0, 400)}`);
    }
    roundTrip(input, preface);
  },
};
