/**
 * Where targets and their seeds are found: the registry in targets/index.ts, and the committed
 * seed corpus under fuzz/corpus/<target>/ in the repository (one input per file).
 */
import * as fs from 'fs';
import * as path from 'path';
import { TARGETS } from './targets/index';
import type { FuzzTarget } from './targets/target';

/** The repository root: the nearest directory above this file that holds package.json. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`package.json not found above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/** The seed directory of a target. */
export function corpusDir(name: string): string {
  return path.join(repoRoot(), 'fuzz', 'corpus', name);
}

/** Load a target by name (requires its module now). */
export function loadTarget(name: string): FuzzTarget {
  const entry = TARGETS.find((t) => t.name === name);
  if (!entry) throw new Error(`unknown fuzz target '${name}' (targets: ${TARGETS.map((t) => t.name).join(', ')})`);
  const mod = require(path.join(__dirname, 'targets', entry.module)) as Record<string, FuzzTarget>;
  return mod[entry.exportName];
}

/** A target's committed seeds, in file name order. */
export function loadSeeds(name: string): Buffer[] {
  const dir = corpusDir(name);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => fs.readFileSync(path.join(dir, f)));
}
