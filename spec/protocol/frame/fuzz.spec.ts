/**
 * Fuzz loops over the frame parsers: random and mutated bytes must give frames or a typed
 * H2Error, never another exception and never a hang. Bounded in count and in time.
 */
import test from 'ava';
import { Deframer } from '../../../lib/protocol/frame/deframer';
import { HeaderBlockAssembler } from '../../../lib/protocol/frame/header-block';
import { encodeFrame } from '../../../lib/protocol/frame/codec';
import { CONNECTION_PREFACE } from '../../../lib/protocol/frame/constants';
import { H2Error } from '../../../lib/protocol/errors';
import { FramePrinter } from '../../../lib/apps/printer/printer';
import type { Frame } from '../../../lib/protocol/frame/types';
import { loadVectors } from './helpers';
import { seededRandom as rng } from '../../helpers/random';

const seedBytes = Buffer.concat(loadVectors().map((v) => Buffer.from(v.hex, 'hex')));
const sink = new FramePrinter({ write: () => {}, json: false });
const jsonSink = new FramePrinter({ write: () => {}, json: true });

/** Run bytes through deframer + assembler + printer in random chunks; returns 'ok' or 'typed'. */
function runOnce(bytes: Buffer, rand: () => number, preface: boolean, skipStreamErrors = false): 'ok' | 'typed' {
  const d = new Deframer({ expectPreface: preface, maxFrameSize: 16384, onStreamError: skipStreamErrors ? () => {} : undefined });
  const a = new HeaderBlockAssembler();
  const emit = (f: Frame) => {
    sink.received(f);
    jsonSink.received(f);
  };
  try {
    let at = 0;
    while (at < bytes.length) {
      const n = 1 + Math.floor(rand() * 64);
      d.push(bytes.subarray(at, at + n), (f) => a.push(f, emit));
      at += n;
    }
    d.end(() => {});
    a.end(() => {});
    return 'ok';
  } catch (err) {
    if (err instanceof H2Error) return 'typed';
    throw err;
  }
}

test('random bytes: typed error or success, never a crash or a hang', (t) => {
  const rand = rng(0xc0ffee);
  const deadline = Date.now() + 10_000;
  let typed = 0;
  let runs = 0;
  for (; runs < 3000 && Date.now() < deadline; runs++) {
    const len = Math.floor(rand() * 200);
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(rand() * 256);
    if (runOnce(b, rand, false) === 'typed') typed++;
  }
  t.true(runs > 100);
  t.true(typed > 0);
});

test('mutated valid streams (bit flips, byte sets, cuts, splices): typed error or success', (t) => {
  const rand = rng(42);
  const deadline = Date.now() + 15_000;
  const outcomes = { ok: 0, typed: 0 };
  let runs = 0;
  for (; runs < 4000 && Date.now() < deadline; runs++) {
    const b = Buffer.from(seedBytes);
    const edits = 1 + Math.floor(rand() * 6);
    let bytes: Buffer = b;
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rand() * bytes.length);
      switch (Math.floor(rand() * 4)) {
        case 0:
          bytes[at] ^= 1 << Math.floor(rand() * 8);
          break;
        case 1:
          bytes[at] = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x09, 0x04][Math.floor(rand() * 7)];
          break;
        case 2:
          bytes = bytes.subarray(0, at);
          break;
        default:
          bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.floor(rand() * bytes.length))]);
      }
    }
    outcomes[runOnce(Buffer.concat([CONNECTION_PREFACE, bytes]), rand, true, runs % 2 === 1)]++;
  }
  t.true(runs > 100);
  t.true(outcomes.typed > 0);
  t.true(outcomes.ok > 0);
});

test('length field claiming up to 16 MiB never makes the deframer buffer it', (t) => {
  const d = new Deframer();
  t.throws(() => d.push(Buffer.from([0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1]), () => {}), { instanceOf: H2Error });
  // a valid frame after garbage is not reached: the deframer stays failed
  t.throws(() => d.push(encodeFrame({ type: 4, flags: 1, streamId: 0, settings: [] }), () => {}), { instanceOf: H2Error });
});
