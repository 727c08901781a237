/**
 * Run by `npm install`/`npm ci` (the `prepare` script, which runs in this repository only, never
 * where the package is installed as a dependency): mends ava 7's TAP reporter so that a test that
 * times out is printed as a failing test instead of crashing the reporter.
 *
 * ava 7.0.0's TapReporter.writeTimeout() and writeProcessExit() hand dumpError() a native Error,
 * while dumpError() expects ava's serialized error record (it sets `originalError.name`), so the
 * first global timeout throws `TypeError: Cannot set properties of undefined (setting 'name')` in
 * the main process: `npm test -- --tap` dies there and `.ci/run` counts only the tests printed so
 * far. Upstream: avajs/ava issue 3461 (fix proposed in pull request 3471, not released).
 *
 * The mend lets dumpError() pass a native Error through to supertap, which serializes Errors
 * itself. It is applied once (a marker comment), and only to the text it was written for: a
 * changed reporter (another ava version) is left alone with one warning line, and
 * spec/ci/ava-tap.spec.ts says whether a timeout still prints as a failing test.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const MARKER = 'nghttp2-ts scripts/patch-ava.js';
const ORIGINAL = 'function dumpError({\n';
const MENDED = `// ${MARKER}: writeTimeout() and writeProcessExit() pass a native Error (avajs/ava#3461).
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
`;

const file = path.join(__dirname, '..', 'node_modules', 'ava', 'lib', 'reporters', 'tap.js');
// ava is a devDependency: absent from a production install, then there is nothing to mend.
if (!fs.existsSync(file)) process.exit(0);
const text = fs.readFileSync(file, 'utf8');
if (text.includes(MARKER)) process.exit(0);
const at = text.indexOf(ORIGINAL);
if (at < 0 || text.indexOf(ORIGINAL, at + 1) >= 0) {
  console.warn(`patch-ava: ${path.relative(process.cwd(), file)} is not the text this mend was written for; left unchanged`);
  process.exit(0);
}
fs.writeFileSync(file, text.slice(0, at) + MENDED + text.slice(at + ORIGINAL.length));
