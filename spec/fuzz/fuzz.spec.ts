/**
 * The short fuzzing pass CI runs: every target for a few seconds through `npm run fuzz`'s
 * runner, which must report `<target>: <N> inputs, 0 crashes` and exit 0. The seed is random
 * and printed, so a failure shows the seed, the crashing input (hex) and its stack. Also checks
 * the runner itself: a target that crashes or hangs makes it exit non-zero.
 */
import test from 'ava';
import { spawn } from 'child_process';
import * as path from 'path';
import { TARGETS } from '../../fuzz/targets/index';

const RUNNER = path.resolve(__dirname, '../../fuzz/run.js');
/** Seconds of fuzzing per target in this pass. */
const SECONDS = 4;

function fuzz(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

for (const { name } of TARGETS.filter((t) => !t.hidden)) {
  test.serial(`fuzz ${name} for ${SECONDS} s: no crash, no hang`, async (t) => {
    // --timeout: the per-input limit is wall time; at load 25 the runner's 5 s default can pass on
    // a slow input (or a GC pause) that is no hang. A real endless loop still shows, later.
    const r = await fuzz(['--target', name, '--seconds', String(SECONDS), '--runs', '100000000', '--timeout', '30000']);
    t.regex(r.stdout, new RegExp(`^${name}: \\d+ inputs, 0 crashes\\n$`), r.stderr);
    t.is(r.code, 0, r.stderr);
  });
}

test.serial('the runner exits non-zero and names the input when a target crashes', async (t) => {
  const r = await fuzz(['--target', 'selftest-crash', '--runs', '5000', '--seed', '7']);
  t.is(r.code, 1);
  t.regex(r.stdout, /^selftest-crash: 5000 inputs, [1-9]\d* crashes\n$/);
  t.regex(r.stderr, /CRASH: TypeError/);
  t.regex(r.stderr, /hex [0-9a-f]{8,}/);
});

test.serial('the runner exits non-zero when one input runs over the per-input time limit', async (t) => {
  const r = await fuzz(['--target', 'selftest-hang', '--runs', '5000', '--seed', '7', '--timeout', '500']);
  t.is(r.code, 1);
  t.regex(r.stdout, /^selftest-hang: \d+ inputs, 1 crashes \(hang\)\n$/);
  t.regex(r.stderr, /HANG: one input ran over 500 ms/);
});
