/**
 * The source tree keeps its modules small: no TypeScript file under lib/ or operators/ may pass
 * MAX_LINES lines (the guide's rule; a module that grows past it is split along its seams, as the
 * session and nghttpx's proxy were). Reads the sources, so it holds in a fresh clone too.
 */
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from './helpers/repo';

/** The most lines a module in lib/ or operators/ may have. */
const MAX_LINES = 800;

/** Every .ts file below `dir` (relative to the repository root). */
function tsFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(root, rel));
    else if (e.isFile() && e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

test(`no file in lib/ or operators/ is over ${MAX_LINES} lines`, (t) => {
  const root = repoRoot();
  const files = ['lib', 'operators'].flatMap((d) => tsFiles(root, d));
  t.true(files.length > 50, `found only ${files.length} files: is the tree where the spec looks?`);
  const over = files
    .map((f) => ({ f, lines: fs.readFileSync(path.join(root, f), 'utf8').split('\n').length - 1 }))
    .filter((x) => x.lines > MAX_LINES)
    .map((x) => `${x.f}: ${x.lines} lines (split it along its seams)`);
  t.deepEqual(over, []);
});
