/**
 * hpack-test-case: every story of every encoder directory decodes to its headers (one decoder
 * per story), raw-data round-trips through our encoder and decoder, and our encoder's wire
 * decodes to the same headers with python3-hpack (an independent decoder).
 */
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { HpackDecoder, HpackEncoder } from '../../../lib/protocol/hpack';
import { caseHeaders, readStory, storyFiles } from '../../../lib/apps/hpack-tools/stories';
import type { HeaderField } from '../../../lib/protocol/frame/types';
import { HPACK_TEST_CASE, NO_HPACK_TEST_CASE, encoderDirs, pairs } from './helpers';

const haveVectors = fs.existsSync(HPACK_TEST_CASE);
const tv = haveVectors ? test : test.skip;

/** First difference between two header lists, or null. */
function diff(got: readonly HeaderField[], want: readonly HeaderField[]): string | null {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (!got[i] || !want[i] || got[i][0] !== want[i][0] || got[i][1] !== want[i][1]) {
      return `field ${i}: got ${JSON.stringify(got[i] ?? null)}, want ${JSON.stringify(want[i] ?? null)}`;
    }
  }
  return null;
}

for (const dir of haveVectors ? encoderDirs() : [`(skipped: ${NO_HPACK_TEST_CASE})`]) {
  tv(`${dir}: every story decodes to its headers`, (t) => {
    const failures: string[] = [];
    let cases = 0;
    for (const file of storyFiles(path.join(HPACK_TEST_CASE, dir))) {
      const story = path.basename(file, '.json');
      const dec = new HpackDecoder();
      for (const [i, c] of readStory(file).cases.entries()) {
        const label = `${dir}/${story}#${c.seqno ?? i}`;
        cases++;
        try {
          if (typeof c.header_table_size === 'number') dec.setMaxTableSize(c.header_table_size);
          const d = diff(dec.decode(Buffer.from(c.wire!, 'hex')), caseHeaders(c.headers));
          if (d) failures.push(`${label}: ${d}`);
        } catch (err) {
          failures.push(`${label}: ${(err as Error).message}`);
          break; // the context is lost for the rest of the story
        }
      }
    }
    t.true(cases > 3000, `${cases} cases read`);
    t.deepEqual(failures.slice(0, 5), [], `${failures.length} failed`);
  });
}

const rawStories = (): { name: string; lists: HeaderField[][] }[] =>
  storyFiles(path.join(HPACK_TEST_CASE, 'raw-data')).map((f) => ({
    name: `raw-data/${path.basename(f, '.json')}`,
    lists: readStory(f).cases.map((c) => caseHeaders(c.headers)),
  }));

tv('raw-data: every story round-trips through our encoder and decoder (default and small tables)', (t) => {
  const failures: string[] = [];
  for (const { name, lists } of rawStories()) {
    for (const [cap, peer] of [
      [4096, 4096],
      [4096, 512],
      [256, 65536],
      [0, 4096],
    ]) {
      const enc = new HpackEncoder({ maxTableSize: cap });
      const dec = new HpackDecoder({ maxTableSize: Math.max(peer, 4096) });
      if (peer !== 4096) {
        enc.setPeerMaxTableSize(peer);
        dec.setMaxTableSize(peer);
      }
      lists.forEach((list, i) => {
        const d = diff(dec.decode(enc.encode(list)), list);
        if (d) failures.push(`${name}#${i} (cap ${cap}, peer ${peer}): ${d}`);
      });
    }
  }
  t.deepEqual(failures.slice(0, 5), [], `${failures.length} failed`);
});

// python3-hpack: Debian's /usr/bin/python3 with the hpack module.
const PY = '/usr/bin/python3';
const havePython = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import hpack'], { stdio: 'ignore' }).status === 0;
const tp = haveVectors && havePython ? test : test.skip;

// Decodes stories of hex wires, one Decoder per story, in one process; prints the header lists
// with names and values as latin1 text so that every octet survives the JSON trip.
const PY_DECODE = `
import json, sys, hpack
out = []
for story in json.load(sys.stdin):
    d = hpack.Decoder()
    d.max_header_list_size = 1 << 30
    out.append([[[n.decode('latin1'), v.decode('latin1')] for n, v in d.decode(bytes.fromhex(w), raw=True)] for w in story])
json.dump(out, sys.stdout)
`;

tp(
  "raw-data: our encoder's wire decodes to the same headers with python3-hpack, default and 256-octet/no-Huffman contexts (needs python3-hpack)",
  (t) => {
    const stories = rawStories();
    // Two encoder set-ups per story, all decoded by one python process.
    const configs = [{}, { maxTableSize: 256, huffman: 'never' as const }];
    const wires = configs.flatMap((cfg) =>
      stories.map(({ lists }) => {
        const enc = new HpackEncoder(cfg);
        return lists.map((l) => enc.encode(l).toString('hex'));
      }),
    );
    const r = spawnSync(PY, ['-c', PY_DECODE], { input: JSON.stringify(wires), maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
    t.is(r.status, 0, r.stderr?.toString());
    const decoded = JSON.parse(r.stdout.toString()) as [string, string][][][];
    t.is(decoded.length, configs.length * stories.length);
    const failures: string[] = [];
    configs.forEach((cfg, k) =>
      stories.forEach(({ name, lists }, s) =>
        lists.forEach((list, i) => {
          const d = diff(decoded[k * stories.length + s][i], pairs(list));
          if (d) failures.push(`${name}#${i} ${JSON.stringify(cfg)}: ${d}`);
        }),
      ),
    );
    t.deepEqual(failures.slice(0, 5), [], `${failures.length} failed`);
  },
);
