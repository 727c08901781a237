/**
 * Every committed fuzz input, run through its target without instrumentation: the seed corpus
 * and the inputs of crashes the fuzzer found (kept in fuzz/corpus/<target>/ as `crash-*`, each
 * with a spec of its own below naming what went wrong and where it was fixed).
 */
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { corpusDir, loadTarget } from '../../fuzz/corpus';
import { TARGETS } from '../../fuzz/targets/index';

for (const { name } of TARGETS.filter((t) => !t.hidden)) {
  test(`fuzz corpus of ${name}: every committed input runs clean`, (t) => {
    const target = loadTarget(name);
    const dir = corpusDir(name);
    const files = fs.readdirSync(dir).sort();
    t.true(files.length > 0, `no seeds in ${dir}`);
    for (const f of files) {
      const input = fs.readFileSync(path.join(dir, f));
      t.notThrows(() => target.run(input), `${name}/${f}`);
    }
  });
}
