/**
 * HPACK benchmark (npm run bench:hpack): encode and decode every raw-data story of
 * hpack-test-case (one context per story) with this project and with hpack.js in one run;
 * prints MB/s of name+value octets through the encoder/decoder and through the public
 * HDDeflater/HDInflater, our/hpack.js ratios (target >= 3x, hpack.js with Huffman), and our compressed size
 * over the input (target <= 0.310, nghttp2's stored wires). About 10 s; `--quick` for a smoke run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { HpackDecoder } from '../lib/protocol/hpack/decoder';
import { HpackEncoder } from '../lib/protocol/hpack/encoder';
import { HDDeflater, HDInflater } from '../lib/hpack';
import { caseHeaders, readStory, storyFiles } from '../lib/apps/hpack-tools/stories';
import type { HeaderField } from '../lib/protocol/frame/types';
import { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { from, lastValueFrom, reduce } from 'rxjs';
import { compose } from '../lib/protocol/stage';
import { hpackDecodeStage, hpackEncodeStage } from '../lib/protocol/hpack/stage';
import { hpackDecode, hpackDecodeTransform, hpackEncode, hpackEncodeTransform } from '../operators/hpack';
const hpackjs = require('hpack.js');

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 2 : 5;
const BUDGET_MS = QUICK ? 100 : 300; // per implementation per round
const MB = 1e6;

function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    if (path.dirname(dir) === dir) throw new Error('package.json not found');
    dir = path.dirname(dir);
  }
  return dir;
}

// The stories: HPACK_TEST_CASE_DIR, else the team's ../shared copy (as the specs find them).
const caseDir = process.env.HPACK_TEST_CASE_DIR || path.resolve(repoRoot(), '../shared/vectors/hpack-test-case');
const rawDir = path.join(caseDir, 'raw-data');
if (!fs.existsSync(rawDir)) {
  process.stdout.write(
    `bench:hpack needs the hpack-test-case stories (${rawDir} not found): set HPACK_TEST_CASE_DIR to a checkout of the public hpack-test-case repository\n`,
  );
  process.exit(0);
}
const stories: HeaderField[][][] = storyFiles(rawDir).map((f) => readStory(f).cases.map((c) => caseHeaders(c.headers)));
const jsStories = stories.map((s) => s.map((list) => list.map(([name, value]) => ({ name, value }))));
let inputBytes = 0;
for (const s of stories) for (const list of s) for (const [n, v] of list) inputBytes += n.length + v.length;

/**
 * MB/s of name+value octets for two implementations of the same job, measured in alternating
 * rounds and keeping each one's best round, so that load from other processes on the machine
 * skews both alike.
 */
function compare(ours: () => void, theirs: () => void): [number, number] {
  ours();
  theirs(); // warm-up
  let a = 0;
  let b = 0;
  for (let i = 0; i < ROUNDS; i++) {
    a = Math.max(a, measure(ours));
    b = Math.max(b, measure(theirs));
  }
  return [a, b];
}

/** Run `fn` (one pass over all stories) repeatedly for the budget; MB/s of name+value octets. */
function measure(fn: () => void): number {
  let passes = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < BUDGET_MS || passes < 2) {
    fn();
    passes++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  return (inputBytes * passes) / MB / (elapsed / 1000);
}

/** A fresh hpack.js encoding context (4096-octet table): header list in, wire out. */
function hpackjsEncoder(): (list: { name: string; value: string }[]) => Buffer {
  const comp = hpackjs.compressor.create({ table: { size: 4096 } });
  return (list) => {
    comp.write(list);
    return comp.read() as Buffer;
  };
}

/** A fresh hpack.js decoding context: wire in, the number of fields out. */
function hpackjsDecoder(): (wire: Buffer) => number {
  const dec = hpackjs.decompressor.create({ table: { size: 4096 } });
  return (wire) => {
    dec.write(wire);
    dec.execute();
    let n = 0;
    while (dec.read() !== null) n++;
    return n;
  };
}

let sink = 0;

/** One pass encoding every story, each with a fresh context from `open`. */
function encodeAll<L>(all: L[][], open: () => (list: L) => Buffer): () => void {
  return () => {
    for (const s of all) {
      const encode = open();
      for (const list of s) sink += encode(list).length;
    }
  };
}

/** One pass decoding every story's wires, each with a fresh context from `open`. */
function decodeAll(all: Buffer[][], open: () => (wire: Buffer) => number): () => void {
  return () => {
    for (const s of all) {
      const decode = open();
      for (const w of s) sink += decode(w);
    }
  };
}

const ourEncoder = () => {
  const enc = new HpackEncoder();
  return (list: HeaderField[]) => enc.encode(list);
};
// Wires for the decode runs, made once by each implementation's own encoder.
const ourWires: Buffer[][] = stories.map((s) => s.map(ourEncoder()));
const jsWires: Buffer[][] = jsStories.map((s) => s.map(hpackjsEncoder()));
let ourBytes = 0;
for (const s of ourWires) for (const w of s) ourBytes += w.length;
let jsBytes = 0;
for (const s of jsWires) for (const w of s) jsBytes += w.length;

const jsEncodeAll = encodeAll(jsStories, hpackjsEncoder);
const jsDecodeAll = decodeAll(jsWires, hpackjsDecoder);
const [oursEncode, jsEncode] = compare(encodeAll(stories, ourEncoder), jsEncodeAll);
const [oursDecode, jsDecode] = compare(
  decodeAll(ourWires, () => {
    const dec = new HpackDecoder();
    return (w) => dec.decode(w).length;
  }),
  jsDecodeAll,
);
// The public one-call API (what users of HDDeflater/HDInflater get), against hpack.js again.
const [apiEncode, jsEncode2] = compare(
  encodeAll(stories, () => {
    const d = new HDDeflater();
    return (list: HeaderField[]) => d.deflate(list);
  }),
  jsEncodeAll,
);
const [apiDecode, jsDecode2] = compare(
  decodeAll(ourWires, () => {
    const inf = new HDInflater();
    return (w) => inf.inflate(w).length;
  }),
  jsDecodeAll,
);

const f = (x: number) => x.toFixed(1).padStart(8);
const r = (x: number) => x.toFixed(2).padStart(6) + 'x';
const cases = stories.reduce((a, s) => a + s.length, 0);
process.stdout.write(
  `hpack-test-case raw-data: ${stories.length} stories, ${cases} header lists, ${(inputBytes / MB).toFixed(2)} MB of name+value\n\n` +
    `              nghttp2-ts  hpack.js   ratio (target >= 3x)\n` +
    `encode MB/s  ${f(oursEncode)}  ${f(jsEncode)}   ${r(oursEncode / jsEncode)}\n` +
    `decode MB/s  ${f(oursDecode)}  ${f(jsDecode)}   ${r(oursDecode / jsDecode)}\n` +
    `HDDeflater   ${f(apiEncode)}  ${f(jsEncode2)}   ${r(apiEncode / jsEncode2)}\n` +
    `HDInflater   ${f(apiDecode)}  ${f(jsDecode2)}   ${r(apiDecode / jsDecode2)}\n\n` +
    `compressed/input: nghttp2-ts ${(ourBytes / inputBytes).toFixed(3)} (target <= 0.310), hpack.js ${(jsBytes / inputBytes).toFixed(3)}\n`,
);

/** The same encode -> decode round trip in the three layer forms, one context pair per story. */
async function layerForms(): Promise<void> {
  const stageRun = () => {
    for (const s of stories) {
      const st = compose(hpackEncodeStage(), hpackDecodeStage());
      for (const list of s) st.push(list, (out) => (sink += out.length));
    }
  };
  const transformRun = async () => {
    for (const s of stories) {
      await pipeline(
        Readable.from(s),
        hpackEncodeTransform(),
        hpackDecodeTransform(),
        new Writable({ objectMode: true, write: (l: HeaderField[], _e, cb) => ((sink += l.length), cb()) }),
      );
    }
  };
  const rxRun = async () => {
    for (const s of stories)
      sink += await lastValueFrom(
        from(s).pipe(
          hpackEncode(),
          hpackDecode(),
          reduce((n) => n + 1, 0),
        ),
      );
  };
  const timeIt = async (fn: () => void | Promise<void>) => {
    await fn();
    let best = 0;
    for (let r = 0; r < ROUNDS; r++) {
      let passes = 0;
      const t0 = process.hrtime.bigint();
      let elapsed = 0;
      while (elapsed < BUDGET_MS / 2 || passes < 1) {
        await fn();
        passes++;
        elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
      }
      best = Math.max(best, (inputBytes * passes) / MB / (elapsed / 1000));
    }
    return best;
  };
  const a = await timeIt(stageRun);
  const b = await timeIt(transformRun);
  const c = await timeIt(rxRun);
  process.stdout.write(
    `\nencode+decode round trip by layer form (MB/s): composed stage ${f(a)}, piped Transforms ${f(b)} (${r(b / a)}), RxJS ${f(c)} (${r(c / a)})\n`,
  );
}

layerForms().then(
  () => {
    if (sink < 0) process.stdout.write('');
  },
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  },
);
