/**
 * Run by `npm install`/`npm ci` (the `prepare` script, which runs in this repository only, never
 * where the package is installed as a dependency): mends two faults of ava 7.0.0 that cut
 * `npm test -- --tap` (and so `.ci/run`'s count) short when a run goes wrong.
 *
 * 1. lib/reporters/tap.js: TapReporter.writeTimeout() and writeProcessExit() hand dumpError() a
 *    native Error, while dumpError() expects ava's serialized error record (it sets
 *    `originalError.name`), so the first global timeout throws `TypeError: Cannot set properties
 *    of undefined (setting 'name')` in the main process: the run dies there. Upstream: avajs/ava
 *    issue 3461 (fix proposed in pull request 3471, not released). The mend lets dumpError() pass
 *    a native Error through to supertap, which serializes Errors itself.
 * 2. lib/run-status.js: a 'process-exit' event (a test called process.exit()) took the pending
 *    tests of EVERY running file, not only the exiting one's, and left RunStatus tracking none of
 *    them. The other files' workers run on: tests they had announced were printed as failed by an
 *    exit that was not theirs (then once more when they ended), and tests they announced later
 *    were tracked nowhere, so when such a file then timed out its tests printed no line at all
 *    (TAP plan 1..4 with three test lines, seen with a file exiting while another loaded, then
 *    hung). The mend hands the event the exiting file's pending tests only.
 *
 * Each mend is applied once (a marker comment), and only to the text it was written for: a
 * changed file (another ava version) is left alone with one warning line, and
 * spec/scripts/patch-ava.spec.ts says whether ava still reports these cases.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const MARKER = 'nghttp2-ts scripts/patch-ava.js';

/** One mend: the file under ava's lib/, the exact text it replaces, and the text put there. */
const MENDS = [
  {
    file: ['reporters', 'tap.js'],
    original: 'function dumpError({\n',
    mended: `// ${MARKER}: writeTimeout() and writeProcessExit() pass a native Error (avajs/ava#3461).
function dumpError(error, sanitizeStackOutput) {
\tif (error instanceof Error) {
\t\tif (typeof error.stack === 'string') {
\t\t\terror.stack = sanitizeStackOutput?.(error.stack) ?? error.stack;
\t\t}

\t\treturn error;
\t}

\treturn dumpSerializedError(error, sanitizeStackOutput);
}

function dumpSerializedError({
`,
  },
  {
    file: ['run-status.js'],
    original: `\t\t\t\tfileStats.unexpectedProcessExits++;
\t\t\t\tevent.pendingTests = this.pendingTests;
\t\t\t\tevent.pendingTestsLogs = this.pendingTestsLogs;
\t\t\t\tthis.pendingTests = new Map();
\t\t\t\tthis.pendingTestsLogs = new Map();
`,
    mended: `\t\t\t\tfileStats.unexpectedProcessExits++;
\t\t\t\t// ${MARKER}: only the exiting file's pending tests end here; other files run on.
\t\t\t\tevent.pendingTests = new Map();
\t\t\t\tevent.pendingTestsLogs = new Map();
\t\t\t\tif (this.pendingTests.has(event.testFile)) {
\t\t\t\t\tevent.pendingTests.set(event.testFile, this.pendingTests.get(event.testFile));
\t\t\t\t\tthis.pendingTests.delete(event.testFile);
\t\t\t\t}

\t\t\t\tif (this.pendingTestsLogs.has(event.testFile)) {
\t\t\t\t\tevent.pendingTestsLogs.set(event.testFile, this.pendingTestsLogs.get(event.testFile));
\t\t\t\t\tthis.pendingTestsLogs.delete(event.testFile);
\t\t\t\t}

`,
  },
];

const lib = path.join(__dirname, '..', 'node_modules', 'ava', 'lib');
// ava is a devDependency: absent from a production install, then there is nothing to mend.
if (!fs.existsSync(lib)) process.exit(0);
for (const mend of MENDS) {
  const file = path.join(lib, ...mend.file);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (text.includes(MARKER)) continue;
  const at = text.indexOf(mend.original);
  if (at < 0 || text.indexOf(mend.original, at + 1) >= 0) {
    console.warn(`patch-ava: ${path.relative(process.cwd(), file)} is not the text this mend was written for; left unchanged`);
    continue;
  }
  fs.writeFileSync(file, text.slice(0, at) + mend.mended + text.slice(at + mend.original.length));
}
