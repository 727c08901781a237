/**
 * ava's TAP reporter prints a test that outlived ava's timeout (or was cut short by
 * process.exit()) as a failing test, with the reason, and lives on to print the rest of the run:
 * scripts/patch-ava.js mends ava 7.0.0's reporter, which threw a TypeError there, and its
 * RunStatus, which let one file's process.exit() take every running file's pending tests (a file
 * that then timed out printed no line for its tests), both of which cut `.ci/run`'s count short.
 * The reporter and RunStatus are driven with the events ava's workers send (no ava run, so no
 * timing: real ones are in the commits that added these cases).
 */
import test from 'ava';
import { EventEmitter } from 'events';
import * as path from 'path';
import { PassThrough } from 'stream';
import { repoRoot } from '../helpers/repo';

/** ava's RunStatus: the main process's record of the run, which the reporter listens to. */
interface RunStatus {
  observeWorker(worker: { onStateChange(listener: unknown): void }, testFile: string, stats: object): void;
  emitStateChange(evt: Record<string, unknown>): void;
}

interface Reporter {
  startRun(plan: { files: string[]; filePathPrefix: string; status: object }): void;
  consumeStateChange(evt: Record<string, unknown>): void;
}

/** A module of the installed ava: its reporters and RunStatus are not in its package exports (ESM, loaded via require). */
const avaLib = (...file: string[]) => require(path.join(repoRoot(), 'node_modules', 'ava', 'lib', ...file)).default;

/** A TAP reporter as ava's CLI builds one, and what it has written so far. */
function tapReporter(
  files?: string[],
  status: object = new EventEmitter(),
): { reporter: Reporter; output: () => string; testFile: string } {
  const root = repoRoot();
  const TapReporter = avaLib('reporters', 'tap.js');
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
  reporter.startRun({ files: files ?? [testFile], filePathPrefix: path.join(root, 'dist', 'spec') + path.sep, status });
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

test('process.exit() in one file ends only its tests: a file running beside it that then times out prints each of its own', async (t) => {
  const RunStatusClass = avaLib('run-status.js');
  const exits = path.join(repoRoot(), 'dist', 'spec', 'exits.spec.js');
  const hangs = path.join(repoRoot(), 'dist', 'spec', 'hangs.spec.js');
  const status: RunStatus = new RunStatusClass(2, null, undefined);
  const { output } = tapReporter([exits, hangs], status);
  // Both workers start; one file's tests are selected before the other's exit, some after (a slow load).
  for (const file of [exits, hangs]) status.observeWorker({ onStateChange: () => undefined }, file, {});
  const event = (e: Record<string, unknown>) => status.emitStateChange(e);
  for (const title of ['calls exit', 'after exit']) event({ type: 'selected-test', testFile: exits, title });
  event({ type: 'selected-test', testFile: hangs, title: 'selected before the exit' });
  event({ type: 'process-exit', testFile: exits, stack: `Error: Unexpected process.exit()\n    at ${exits}:2:31` });
  for (const title of ['selected after the exit', 'passes']) event({ type: 'selected-test', testFile: hangs, title });
  event({ type: 'test-passed', testFile: hangs, title: 'passes' });
  event({ type: 'timeout', period: 120000 });
  await new Promise((r) => setImmediate(r)); // RunStatus is an Emittery: listeners run after a tick
  const lines = output()
    .split('\n')
    .filter((l) => /^(not )?ok /.test(l));
  const exitReason = /message: Exiting due to process.exit\(\) when running dist\/spec\/exits.spec.js/;
  const timeoutReason = /message: Exited because no new tests completed within the last 120000ms/;
  const block = (title: string) => output().slice(output().indexOf(title)).split('  ...')[0];
  t.is(lines.length, 5, lines.join('\n'));
  for (const title of ['calls exit', 'after exit']) t.regex(block(`${title}\n`), exitReason, title);
  for (const title of ['selected before the exit', 'selected after the exit']) {
    t.is(lines.filter((l) => l.endsWith(title)).length, 1, `${title}: one line`);
    t.regex(block(`${title}\n`), timeoutReason, title);
  }
  t.true(
    lines.some((l) => /^ok \d+ - hangs › passes$/.test(l)),
    lines.join('\n'),
  );
});
