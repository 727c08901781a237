/**
 * `inflatehd --verify`: decode hpack-test-case story files (one context per file) and compare
 * every case with its `headers`; a table per implementation directory says how many passed.
 */
import fs = require('fs');
import path = require('path');
import { HpackDecoder } from '../../protocol/hpack/decoder';
import type { HeaderField } from '../../protocol/frame/types';
import { caseHeaders, readStory, bytesToText } from './stories';
import { describeError, parseTableSize, parseWire } from './inflate';

/** One line of the table: the results of one implementation directory. */
export interface VerifyRow {
  dir: string;
  stories: number;
  cases: number;
  passed: number;
  failed: number;
  /** Cases with no `wire` (raw-data): nothing to verify. */
  skipped: number;
}

/** Most mismatch lines printed per directory (the rest are counted). */
const MAX_DETAILS = 20;

function sameFields(got: HeaderField[], want: HeaderField[]): string | null {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const g = got[i];
    const w = want[i];
    if (!g || !w || g[0] !== w[0] || g[1] !== w[1]) {
      const show = (f?: HeaderField) => (f ? JSON.stringify(`${bytesToText(f[0])}: ${bytesToText(f[1])}`) : 'nothing');
      return `field ${i}: decoded ${show(g)}, expected ${show(w)}`;
    }
  }
  return null;
}

/**
 * Expand directories among the arguments to the .json files they hold (sorted); files stay. A
 * directory with no story files of its own but with subdirectories (the hpack-test-case root)
 * stands for each of them, so `--verify hpack-test-case` checks every implementation in it.
 */
export function expandStoryArgs(args: string[]): string[] {
  const isDir = (p: string) => {
    try {
      return fs.statSync(p).isDirectory();
    } catch {
      return false; // A missing path is reported by verifyStories as an unreadable story.
    }
  };
  const stories = (dir: string) =>
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => path.join(dir, f));
  return args.flatMap((a) => {
    if (!isDir(a)) return [a];
    const own = stories(a);
    if (own.length > 0) return own;
    return fs
      .readdirSync(a)
      .sort()
      .map((f) => path.join(a, f))
      .filter(isDir)
      .flatMap(stories);
  });
}

/**
 * Verify story files; mismatches go to `stderr` as `<dir>/story_NN#seqno: ...`. Directories
 * keep the order in which they first appear.
 */
export function verifyStories(files: string[], stderr: (line: string) => void): VerifyRow[] {
  const rows = new Map<string, VerifyRow>();
  const details = new Map<string, number>();
  const fail = (row: VerifyRow, label: string, msg: string) => {
    row.failed++;
    const n = (details.get(row.dir) ?? 0) + 1;
    details.set(row.dir, n);
    if (n <= MAX_DETAILS) stderr(`${label}: ${msg}`);
  };
  for (const file of files) {
    const dir = path.basename(path.dirname(path.resolve(file)));
    const story = path.basename(file).replace(/\.json$/, '');
    let row = rows.get(dir);
    if (!row) rows.set(dir, (row = { dir, stories: 0, cases: 0, passed: 0, failed: 0, skipped: 0 }));
    row.stories++;
    let doc;
    try {
      doc = readStory(file);
    } catch (err) {
      row.cases++;
      fail(row, `${dir}/${story}`, `cannot read the story: ${(err as Error).message}`);
      continue;
    }
    const decoder = new HpackDecoder();
    let lostAt: string | null = null;
    doc.cases.forEach((c, i) => {
      row!.cases++;
      const seq = c && typeof c === 'object' && typeof c.seqno === 'number' ? c.seqno : i;
      const label = `${dir}/${story}#${seq}`;
      if (c && typeof c === 'object' && c.wire === undefined) {
        row!.skipped++;
        row!.cases--;
        return;
      }
      if (lostAt !== null) {
        fail(row!, label, `not decoded: the decoding context was lost at ${lostAt}`);
        return;
      }
      try {
        const block = parseWire(c);
        const size = parseTableSize(c);
        const want = caseHeaders(c.headers);
        if (size !== undefined) decoder.setMaxTableSize(size);
        let got: HeaderField[];
        try {
          got = decoder.decode(block);
        } catch (err) {
          lostAt = label;
          throw err;
        }
        const diff = sameFields(got, want);
        if (diff) fail(row!, label, diff);
        else row!.passed++;
      } catch (err) {
        fail(row!, label, describeError(err));
      }
    });
  }
  for (const [dir, n] of details) if (n > MAX_DETAILS) stderr(`${dir}: ... and ${n - MAX_DETAILS} more failed cases`);
  return [...rows.values()];
}

/** The table: one row per directory and a total. */
export function formatVerifyTable(rows: VerifyRow[]): string {
  const total: VerifyRow = { dir: 'total', stories: 0, cases: 0, passed: 0, failed: 0, skipped: 0 };
  for (const r of rows) {
    total.stories += r.stories;
    total.cases += r.cases;
    total.passed += r.passed;
    total.failed += r.failed;
    total.skipped += r.skipped;
  }
  const withSkipped = total.skipped > 0;
  const w = Math.max(12, ...rows.map((r) => r.dir.length)) + 2;
  const cols = ['stories', 'cases', 'passed', 'failed', ...(withSkipped ? ['skipped'] : [])];
  const line = (r: VerifyRow) =>
    r.dir.padEnd(w) +
    [r.stories, r.cases, r.passed, r.failed, ...(withSkipped ? [r.skipped] : [])].map((n) => String(n).padStart(9)).join('');
  return (
    ['directory'.padEnd(w) + cols.map((c) => c.padStart(9)).join(''), ...rows.map(line), ...(rows.length > 1 ? [line(total)] : [])].join(
      '\n',
    ) + '\n'
  );
}
