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
import { parseArgs, resolveTarget, UsageError } from '../../lib/apps/h2load/options';
import { lastOutcome } from '../../fuzz/targets/sniff';

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

// client-args/crash-h2load-double-slash: `h2load http://a/ //` died with "internal error: Invalid
// URL" (a TypeError from `new URL('//', first)`, which reads '//' as an authority). Fixed in
// resolveTarget (lib/apps/h2load/options.ts): a later URI starting with '/' is a path, as in the
// C h2load, whose URI parser takes '//x' as the path '//x'.
test("fuzz crash client-args/crash-h2load-double-slash: h2load's later URIs '//' and '//x' are paths", (t) => {
  const r = parseArgs(['http://a/', '//', '//x/y?q']);
  if (r.kind !== 'run') return t.fail(r.kind);
  t.deepEqual(resolveTarget(r.config).paths, ['/', '//', '//x/y?q']);
});

// client-args/crash-h2load-control-scheme: with -B, a URI starting with a control character
// ('\x01ix:/4') was taken as relative, but `new URL` drops leading controls and read it as the
// absolute 'ix:/4', whose path 'ix:/4' would have been sent as :path. Fixed in resolveTarget: a
// relative URI must stay on the base's origin, else it is a usage error.
test("fuzz crash client-args/crash-h2load-control-scheme: a 'relative' URI that is absolute is refused", (t) => {
  const r = parseArgs(['-Bhttp://a/', '\x01ix:/4']);
  if (r.kind !== 'run') return t.fail(r.kind);
  t.throws(() => resolveTarget(r.config), { instanceOf: UsageError, message: /invalid URI/ });
  const ok = parseArgs(['-Bhttp://a/', 'x/y?z']);
  if (ok.kind !== 'run') return t.fail(ok.kind);
  t.deepEqual(resolveTarget(ok.config).paths, ['/x/y?z']);
});

// The sniff target is only worth its runs if its mock socket reaches each outcome.
test('fuzz target sniff reaches each outcome: preface handed over, upgrade handed over, junk answered, HTTP/1.1 handed off', (t) => {
  const target = loadTarget('sniff');
  const outcome = (name: string) => {
    target.run(fs.readFileSync(path.join(corpusDir('sniff'), name)));
    return lastOutcome();
  };
  t.false(outcome('preface').h2?.upgrade);
  t.true(outcome('upgrade').h2?.upgrade);
  t.true(outcome('upgrade-post').h2?.upgrade);
  t.is(outcome('upgrade-refused').answer?.subarray(0, 9).toString(), 'HTTP/1.1 ');
  t.is(outcome('bad-preface').answer?.[3], 0x4, 'SETTINGS first, then GOAWAY');
  t.regex(outcome('junk-http1').answer?.toString('latin1') ?? '', /^HTTP\/1\.1 400 /);
  t.truthy(outcome('get-handoff').http1Socket);
});
