/**
 * The coverage-guided loop, run inside a worker thread (one per target): install the coverage
 * hook, load the target, run the seed corpus, then mutate corpus entries and keep every input
 * that reaches a block, or a hit-count bucket of a block, that no earlier input reached. Crashes
 * (the target threw) are posted to the main thread; the input being run is mirrored into shared
 * memory so the main thread can name it when the worker hangs and has to be terminated.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parentPort, workerData } from 'worker_threads';
import { counters, installHook, siteCount, unreachedLines } from './instrument';
import { editFrames } from './frame-mutate';
import { Mutator, Rng } from './mutate';
import { loadSeeds, loadTarget } from './corpus';

/** What the main thread hands each worker. */
export interface LoopConfig {
  target: string;
  /** Stop after this many inputs (seeds included). */
  runs: number;
  /** Stop after this many seconds (0: no time limit). */
  seconds: number;
  seed: number;
  /** Write each new interesting input here (optional). */
  saveDir?: string;
  /** At the end, list the source lines of blocks no input reached. */
  unreached?: boolean;
  /** Shared control block: see `CTRL_*`. */
  ctrl: SharedArrayBuffer;
}

/** Int32 slots of the control block. */
export const CTRL_SEQ = 0;
export const CTRL_LEN = 1;
export const CTRL_PHASE = 2;
/** Octet offset of the mirrored input in the control block, and its capacity. */
export const CTRL_DATA = 16;
export const CTRL_CAPACITY = 1 << 20;

/** Messages from the worker. */
export type LoopMessage =
  | { type: 'crash'; input: Uint8Array; name: string; message: string; stack: string; signature: string }
  | { type: 'progress'; execs: number; covered: number; corpus: number; ms: number }
  | {
      type: 'done';
      execs: number;
      crashes: number;
      covered: number;
      sites: number;
      corpus: number;
      ms: number;
      slowestMs: number;
      slowestLen: number;
      unreached?: string[];
    };

// AFL's hit-count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128-255, one bit each.
const BUCKET = new Uint8Array(256);
for (let c = 1; c < 256; c++)
  BUCKET[c] = c === 1 ? 1 : c === 2 ? 2 : c === 3 ? 4 : c < 8 ? 8 : c < 16 ? 16 : c < 32 ? 32 : c < 128 ? 64 : 128;

function signatureOf(err: unknown): string {
  if (!(err instanceof Error)) return `non-Error ${typeof err}`;
  const frame = (err.stack ?? '').split('\n').find((l) => l.trim().startsWith('at ')) ?? '';
  return `${err.name}: ${frame.trim()}`;
}

function main(cfg: LoopConfig): void {
  const distLib = path.resolve(__dirname, '../lib') + path.sep;
  installHook((file) => file.startsWith(distLib));
  const target = loadTarget(cfg.target);
  const seeds = loadSeeds(cfg.target);
  const rng = new Rng(cfg.seed);
  const mutator = new Mutator(rng, target.maxLen, target.dictionary, target.frames ? editFrames : undefined);
  const ctrl = new Int32Array(cfg.ctrl, 0, 4);
  const mirror = new Uint8Array(cfg.ctrl, CTRL_DATA, CTRL_CAPACITY);
  const virgin = new Uint8Array(counters.length);
  const corpus: Buffer[] = [];
  const seen = new Set<string>();
  const started = Date.now();
  const deadline = cfg.seconds > 0 ? started + cfg.seconds * 1000 : Infinity;
  let execs = 0;
  let crashes = 0;
  let covered = 0;
  let slowestMs = 0;
  let slowestLen = 0;
  Error.stackTraceLimit = 0;
  // Blocks run while the modules loaded (top-level code) count as reached.
  for (let i = 0; i < siteCount(); i++) {
    if (counters[i] !== 0) {
      virgin[i] = 0xff;
      covered++;
    }
  }
  counters.fill(0);
  Atomics.store(ctrl, CTRL_PHASE, 1);

  /** Run one input; true when it reached something new. */
  const runOne = (input: Buffer): boolean => {
    const n = Math.min(input.length, CTRL_CAPACITY);
    mirror.set(input.subarray(0, n));
    Atomics.store(ctrl, CTRL_LEN, n);
    Atomics.add(ctrl, CTRL_SEQ, 1);
    execs++;
    let crashed = false;
    const t0 = performance.now();
    try {
      target.run(input);
      const took = performance.now() - t0;
      if (took > slowestMs) {
        slowestMs = took;
        slowestLen = input.length;
      }
    } catch (first) {
      crashed = true;
      crashes++;
      // Errors are built without stack traces while fuzzing (capturing them was most of the cost
      // of an input that ends in a protocol error); run a crashing input again to get one.
      let err = first;
      Error.stackTraceLimit = 20;
      try {
        target.run(input);
      } catch (again) {
        err = again;
      }
      Error.stackTraceLimit = 0;
      const signature = signatureOf(err);
      if (!seen.has(signature)) {
        seen.add(signature);
        const e = err instanceof Error ? err : new Error(String(err));
        parentPort!.postMessage({
          type: 'crash',
          input: new Uint8Array(input),
          name: e.name,
          message: e.message,
          stack: e.stack ?? '',
          signature,
        } satisfies LoopMessage);
      }
    }
    let fresh = false;
    const sites = siteCount();
    for (let i = 0; i < sites; i++) {
      const c = counters[i];
      if (c === 0) continue;
      counters[i] = 0;
      const b = BUCKET[c];
      if ((virgin[i] & b) === 0) {
        if (virgin[i] === 0) covered++;
        virgin[i] |= b;
        fresh = true;
      }
    }
    return fresh && !crashed;
  };

  const keep = (input: Buffer) => {
    corpus.push(input);
    if (cfg.saveDir) {
      fs.mkdirSync(cfg.saveDir, { recursive: true });
      fs.writeFileSync(path.join(cfg.saveDir, createHash('sha1').update(input).digest('hex').slice(0, 16)), input);
    }
  };

  for (const s of seeds) {
    if (execs >= cfg.runs) break;
    runOne(s);
    corpus.push(s);
  }
  if (corpus.length === 0) corpus.push(Buffer.alloc(0));
  let nextReport = started + 10_000;
  while (execs < cfg.runs) {
    const base = corpus[rng.below(corpus.length)];
    const other = corpus[rng.below(corpus.length)];
    const input = mutator.mutate(base, other);
    if (runOne(input)) keep(input);
    if ((execs & 255) === 0) {
      const now = Date.now();
      if (now >= deadline) break;
      if (now >= nextReport) {
        nextReport = now + 10_000;
        parentPort!.postMessage({ type: 'progress', execs, covered, corpus: corpus.length, ms: now - started } satisfies LoopMessage);
      }
    }
  }
  Atomics.store(ctrl, CTRL_PHASE, 2);
  parentPort!.postMessage({
    type: 'done',
    execs,
    crashes,
    covered,
    sites: siteCount(),
    corpus: corpus.length,
    ms: Date.now() - started,
    slowestMs,
    slowestLen,
    unreached: cfg.unreached ? unreachedLines(virgin) : undefined,
  } satisfies LoopMessage);
}

if (parentPort && workerData) main(workerData as LoopConfig);
