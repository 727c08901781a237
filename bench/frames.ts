/**
 * Frame layer benchmark (npm run bench:frames): parse and encode throughput over a realistic mix,
 * the deframer on 16 KiB DATA frames against a plain Buffer copy of the same bytes, and the same
 * layers run as separate piped Transforms, as one composed stage, and as RxJS operators.
 * Each figure is the best of several runs (the least disturbed on a shared machine); a few
 * seconds in all. `--quick` for a smoke run.
 */
import { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { from, lastValueFrom, reduce } from 'rxjs';
import { Deframer } from '../lib/protocol/frame/deframer';
import { HeaderBlockAssembler } from '../lib/protocol/frame/header-block';
import { encodeFrame, encodeFrameParts } from '../lib/protocol/frame/codec';
import { FrameReader } from '../lib/protocol/frame/pipeline';
import { FrameType, Flag } from '../lib/protocol/frame/constants';
import { compose, type Stage } from '../lib/protocol/stage';
import type { Frame } from '../lib/protocol/frame/types';
import { assembleHeaderBlocks, deframe, deframerTransform, headerBlockTransform } from '../operators/frames';
import { frameReaderTransform } from '../operators/layers';
import { toTransform } from '../operators/adapt';

const QUICK = process.argv.includes('--quick');
const CHUNK = 64 * 1024;
const MB = 1024 * 1024;

function chunk(bytes: Buffer, size = CHUNK): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** A browsing-like mix: requests, responses, small and full-size DATA, flow control, pings. */
function mixFrames(total: number): Frame[] {
  const frames: Frame[] = [
    {
      type: FrameType.SETTINGS,
      flags: 0,
      streamId: 0,
      settings: [
        { id: 3, value: 100 },
        { id: 4, value: 65535 },
      ],
    },
  ];
  let size = 0;
  let sid = 1;
  const body = Buffer.alloc(16384, 0x61);
  while (size < total) {
    frames.push({ type: FrameType.HEADERS, flags: Flag.END_HEADERS, streamId: sid, fragment: Buffer.alloc(120, 0x82) });
    const n = sid % 5 === 0 ? 6 : 1; // every fifth response is ~96 KiB, the rest ~1-16 KiB
    for (let i = 0; i < n; i++) {
      const len = n === 1 ? 1024 * (1 + (sid % 16)) : 16384;
      frames.push({
        type: FrameType.DATA,
        flags: i === n - 1 ? Flag.END_STREAM : 0,
        streamId: sid,
        data: body.subarray(0, Math.min(len, 16384)),
      });
      size += len;
    }
    frames.push({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0, windowSizeIncrement: 32768 });
    if (sid % 50 === 1) frames.push({ type: FrameType.PING, flags: 0, streamId: 0, opaqueData: Buffer.alloc(8) });
    sid += 2;
  }
  return frames;
}

interface Result {
  name: string;
  bytes: number;
  frames: number;
  seconds: number;
}

/** Best of `reps` timed runs (after one warm-up): the least disturbed run on a shared machine. */
function time(name: string, bytes: number, frames: number, reps: number, fn: () => void): Result {
  fn(); // warm-up
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { name, bytes, frames, seconds: best };
}

async function timeAsync(name: string, bytes: number, frames: number, reps: number, fn: () => Promise<void>): Promise<Result> {
  await fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { name, bytes, frames, seconds: best };
}

function report(rows: Result[], base?: Result): void {
  for (const r of rows) {
    const mbs = r.bytes / MB / r.seconds;
    const fps = r.frames / r.seconds;
    const ratio = base ? `  ${(mbs / (base.bytes / MB / base.seconds)).toFixed(2)}x copy` : '';
    console.log(`  ${r.name.padEnd(46)} ${mbs.toFixed(0).padStart(7)} MB/s ${(fps / 1000).toFixed(0).padStart(7)} kframes/s${ratio}`);
  }
}

function drain(stage: Stage<Buffer, Frame>, chunks: Buffer[]): number {
  let n = 0;
  const emit = () => void n++;
  for (const c of chunks) stage.push(c, emit);
  stage.end?.(emit);
  return n;
}

async function main(): Promise<void> {
  const reps = QUICK ? 1 : 20;
  console.log(`nghttp2-ts frame benchmark (node ${process.version}, ${CHUNK / 1024} KiB input chunks${QUICK ? ', quick' : ''})`);

  // 1. Parse + encode over a realistic mix
  const mix = mixFrames(QUICK ? 4 * MB : 32 * MB);
  const mixBytes = Buffer.concat(mix.map((f) => encodeFrame(f)));
  const mixChunks = chunk(mixBytes);
  console.log(`\n[mix] ${mix.length} frames, ${(mixBytes.length / MB).toFixed(1)} MB`);
  const mixDest = Buffer.alloc(mixBytes.length);
  const mixCopy = time('plain Buffer copy (into a warm buffer)', mixBytes.length, mix.length, reps, () => {
    const dest = mixDest;
    let at = 0;
    for (const c of mixChunks) at += c.copy(dest, at);
  });
  report(
    [
      mixCopy,
      time('parse (Deframer)', mixBytes.length, mix.length, reps, () => void drain(new Deframer(), mixChunks)),
      time('encode (encodeFrame, one Buffer per frame)', mixBytes.length, mix.length, reps, () => {
        for (const f of mix) encodeFrame(f);
      }),
      time('encode (encodeFrameParts, payload not copied)', mixBytes.length, mix.length, reps, () => {
        for (const f of mix) encodeFrameParts(f);
      }),
    ],
    mixCopy,
  );

  // 2. 16 KiB DATA frames: the target is deframe + parse >= 0.5x a plain copy
  const data: Frame = { type: FrameType.DATA, flags: 0, streamId: 1, data: Buffer.alloc(16384, 0x62) };
  const one = encodeFrame(data);
  const count = QUICK ? 1024 : 4096; // 64 MiB
  const dataBytes = Buffer.concat(Array.from({ length: count }, () => one));
  const dataChunks = chunk(dataBytes);
  console.log(`\n[16 KiB DATA] ${count} frames, ${(dataBytes.length / MB).toFixed(1)} MB`);
  const dataDest = Buffer.alloc(dataBytes.length);
  const copy = time('plain Buffer copy into a warm buffer (the limit)', dataBytes.length, count, reps, () => {
    const dest = dataDest;
    let at = 0;
    for (const c of dataChunks) at += c.copy(dest, at);
  });
  const copyPerChunk = time('plain Buffer copy, Buffer.from per chunk', dataBytes.length, count, reps, () => {
    for (const c of dataChunks) Buffer.from(c);
  });
  const composed = time('deframe + parse, composed stage', dataBytes.length, count, reps, () => void drain(new Deframer(), dataChunks));
  const reader = time(
    'deframe + parse + assemble, FrameReader',
    dataBytes.length,
    count,
    reps,
    () => void drain(new FrameReader(), dataChunks),
  );
  const composeFn = time(
    'deframe + parse + assemble, compose()',
    dataBytes.length,
    count,
    reps,
    () => void drain(compose(new Deframer(), new HeaderBlockAssembler()), dataChunks),
  );
  const aligned = chunk(dataBytes, one.length * 4);
  const alignedRun = time(
    'deframe + parse, frame-aligned chunks',
    dataBytes.length,
    count,
    reps,
    () => void drain(new Deframer(), aligned),
  );
  report([copy, copyPerChunk, composed, reader, composeFn, alignedRun], copy);

  // 3. The same layers as Transforms (separate vs composed) and as RxJS
  console.log('\n[adapters, 16 KiB DATA]');
  const sink = () => new Writable({ objectMode: true, write: (_f, _e, cb) => cb() });
  const piped = await timeAsync('Transforms piped: deframer -> assembler', dataBytes.length, count, reps, () =>
    pipeline(Readable.from(dataChunks), deframerTransform(), headerBlockTransform(), sink()),
  );
  const oneTransform = await timeAsync('one Transform: composed FrameReader', dataBytes.length, count, reps, () =>
    pipeline(Readable.from(dataChunks), frameReaderTransform({ hpack: false }), sink()),
  );
  const composedTransform = await timeAsync('one Transform: toTransform(compose(...))', dataBytes.length, count, reps, () =>
    pipeline(
      Readable.from(dataChunks),
      toTransform(() => compose(new Deframer(), new HeaderBlockAssembler()), { bytesIn: true }),
      sink(),
    ),
  );
  const rx = await timeAsync('RxJS: deframe() -> assembleHeaderBlocks()', dataBytes.length, count, reps, () =>
    lastValueFrom(
      from(dataChunks).pipe(
        deframe(),
        assembleHeaderBlocks(),
        reduce((n) => n + 1, 0),
      ),
    ).then(() => undefined),
  );
  report([piped, oneTransform, composedTransform, rx], copy);

  // 4. The same comparison over the mix, where small frames make per-object costs show
  console.log('\n[adapters, mix]');
  const mixPiped = await timeAsync('Transforms piped: deframer -> assembler', mixBytes.length, mix.length, reps, () =>
    pipeline(Readable.from(mixChunks), deframerTransform(), headerBlockTransform(), sink()),
  );
  const mixOne = await timeAsync('one Transform: composed FrameReader', mixBytes.length, mix.length, reps, () =>
    pipeline(Readable.from(mixChunks), frameReaderTransform({ hpack: false }), sink()),
  );
  const mixRx = await timeAsync('RxJS: deframe() -> assembleHeaderBlocks()', mixBytes.length, mix.length, reps, () =>
    lastValueFrom(
      from(mixChunks).pipe(
        deframe(),
        assembleHeaderBlocks(),
        reduce((n) => n + 1, 0),
      ),
    ).then(() => undefined),
  );
  const mixStage = time(
    'bare composed stage (no adapter)',
    mixBytes.length,
    mix.length,
    reps,
    () => void drain(new FrameReader(), mixChunks),
  );
  report([mixPiped, mixOne, mixRx, mixStage], mixCopy);

  // 5. Small frames only (requests, flow control, pings): per-frame costs dominate
  const small: Frame[] = [];
  for (let i = 0; small.length < (QUICK ? 20_000 : 100_000); i++) {
    small.push({
      type: FrameType.HEADERS,
      flags: Flag.END_HEADERS | Flag.END_STREAM,
      streamId: 2 * i + 1,
      fragment: Buffer.alloc(40, 0x82),
    });
    small.push({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0, windowSizeIncrement: 1024 });
    if (i % 10 === 0) small.push({ type: FrameType.PING, flags: 0, streamId: 0, opaqueData: Buffer.alloc(8) });
  }
  const smallBytes = Buffer.concat(small.map((f) => encodeFrame(f)));
  const smallChunks = chunk(smallBytes);
  console.log(`\n[adapters, small frames] ${small.length} frames, ${(smallBytes.length / MB).toFixed(1)} MB`);
  const smallCopy = time('plain Buffer copy', smallBytes.length, small.length, reps, () => {
    for (const c of smallChunks) Buffer.from(c);
  });
  const smallPiped = await timeAsync('Transforms piped: deframer -> assembler', smallBytes.length, small.length, reps, () =>
    pipeline(Readable.from(smallChunks), deframerTransform(), headerBlockTransform(), sink()),
  );
  const smallOne = await timeAsync('one Transform: composed FrameReader', smallBytes.length, small.length, reps, () =>
    pipeline(Readable.from(smallChunks), frameReaderTransform({ hpack: false }), sink()),
  );
  const smallRx = await timeAsync('RxJS: deframe() -> assembleHeaderBlocks()', smallBytes.length, small.length, reps, () =>
    lastValueFrom(
      from(smallChunks).pipe(
        deframe(),
        assembleHeaderBlocks(),
        reduce((n) => n + 1, 0),
      ),
    ).then(() => undefined),
  );
  const smallStage = time(
    'bare composed stage (no adapter)',
    smallBytes.length,
    small.length,
    reps,
    () => void drain(new FrameReader(), smallChunks),
  );
  const smallEncode = time('encode (encodeFrame)', smallBytes.length, small.length, reps, () => {
    for (const f of small) encodeFrame(f);
  });
  report([smallCopy, smallPiped, smallOne, smallRx, smallStage, smallEncode], smallCopy);

  const ratio = composed.bytes / composed.seconds / (copy.bytes / copy.seconds);
  console.log(
    `\ntarget: composed deframe + parse of 16 KiB DATA >= 0.5x plain copy: ${ratio.toFixed(2)}x ${ratio >= 0.5 ? 'MET' : 'NOT MET'}`,
  );
  console.log(
    `piped Transforms vs one composed Transform: ${(piped.seconds / oneTransform.seconds).toFixed(2)}x the time (16 KiB DATA), ${(mixPiped.seconds / mixOne.seconds).toFixed(2)}x (mix), ${(smallPiped.seconds / smallOne.seconds).toFixed(2)}x (small frames)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
