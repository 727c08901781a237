/**
 * ava's TAP reporter prints a test that outlived ava's timeout (or was cut short by
 * process.exit()) as a failing test, with the reason, and lives on to print the rest of the run:
 * scripts/patch-ava.js mends ava 7.0.0's reporter, which threw a TypeError there and so cut
 * `.ci/run`'s count short. The reporter is driven with the events ava's main process sends it
 * (no ava run, so no timing: a real one is in the commit that added this spec).
 */
import test from 'ava';
import { EventEmitter } from 'events';
import * as path from 'path';
import { PassThrough } from 'stream';
import { repoRoot } from '../helpers/repo';

interface Reporter {
  startRun(plan: { files: string[]; filePathPrefix: string; status: EventEmitter }): void;
  consumeStateChange(evt: Record<string, unknown>): void;
}

/** A TAP reporter as ava's CLI builds one, and what it has written so far. */
function tapReporter(): { reporter: Reporter; output: () => string; testFile: string } {
  const root = repoRoot();
  // ava's reporters are not in its package exports: load the installed file (ESM, via require).
  const TapReporter = require(path.join(root, 'node_modules', 'ava', 'lib', 'reporters', 'tap.js')).default;
  const report = new PassThrough();
  let text = '';
  report.setEncoding('utf8').on('data', (d: string) => (text += d));
  const reporter: Reporter = new TapReporter({
    extensions: ['js'],
    projectDir: root,
    reportStream: report,
    stdStream: new PassThrough(),
    sanitizeStackOutput: (s: string) => s,
  });
  const testFile = path.join(root, 'dist', 'spec', 'hang.spec.js');
  reporter.startRun({ files: [testFile], filePathPrefix: '', status: new EventEmitter() });
  return { reporter, output: () => text, testFile };
}

test('a timeout: each pending test is "not ok" with the reason, and the reporter goes on', (t) => {
  const { reporter, output, testFile } = tapReporter();
  reporter.consumeStateChange({ type: 'test-passed', testFile, title: 'finishes' });
  reporter.consumeStateChange({ type: 'timeout', period: 120000, pendingTests: new Map([[testFile, new Set(['never finishes'])]]) });
  reporter.consumeStateChange({ type: 'test-passed', testFile, title: 'next file' });
  t.regex(
    output(),
    /^not ok 2 - never finishes\n {2}---\n {4}name: Error\n {4}message: Exited because no new tests completed within the last 120000ms of inactivity\n/m,
  );
  t.regex(output(), /^ok 3 - next file$/m);
});

test('process.exit() in a test: each pending test is "not ok", naming the file', (t) => {
  const { reporter, output, testFile } = tapReporter();
  const pendingTests = new Map([[testFile, new Set(['exits'])]]);
  reporter.consumeStateChange({
    type: 'process-exit',
    testFile,
    stack: `Error: Unexpected process.exit()\n    at ${testFile}:2:31`,
    pendingTests,
  });
  t.regex(
    output(),
    /^not ok 1 - exits\n {2}---\n {4}name: Error\n {4}message: Exiting due to process.exit\(\) when running dist\/spec\/hang.spec.js\n/m,
  );
});
