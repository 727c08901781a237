/**
 * `npm run build`'s second step: each tool's entry (bin/TOOL.ts) and everything it imports from
 * this package, bundled by esbuild into one file, dist/bundle/TOOL.js, which bin/TOOL runs.
 * Start-up is most of a one-shot run's CPU, and resolving, reading and compiling ~75 modules one
 * by one costs ~0.05 s more than one file (`npm run bench:startup`).
 *
 * esbuild reads the TypeScript sources (the same ones tsc just compiled and type-checked in the
 * first step), not tsc's CommonJS output: from ES modules it hoists every module into the one
 * scope of the bundle. A call to an imported function is then a call to a variable, not a load
 * from a module's exports object (`(0, m_1.f)(...)`), there is no exports object, getter or
 * wrapper function per module, and exports no tool uses are left out. h2load (issue 13: peak RSS
 * <= 50 MB, CPU per request within 1.5x the C h2load): bundle 314 -> 250 KB, V8 old space -0.2 MB,
 * peak RSS -0.5 MB at both `-c 10 -m 10` and `-c 100 -m 1`; callgrind, `-n 20000 -c 10 -m 10`
 * against the C nghttpd, 1.34 -> 1.26 G instructions.
 *
 * rxjs and htmlparser2 stay outside: they are loaded on first use (lib/lazy.ts, nghttp -a). The
 * h2load worker (dist/bundle/thread.js) sits beside h2load.js, where run.ts looks for it
 * (`path.join(__dirname, 'thread.js')`). Without esbuild (a tree built with tsc alone) nothing is
 * bundled and the launchers run dist/bin/TOOL.js; they also do when that file is newer than the
 * bundle (a tsc run after the last bundling), so a bundle never runs stale code.
 */
'use strict';
const path = require('path');

const root = path.join(__dirname, '..');
const TOOLS = ['nghttp', 'nghttpd', 'nghttpx', 'h2load', 'deflatehd', 'inflatehd'];

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  console.log('scripts/bundle.js: esbuild is not installed; the tools run from dist/bin (unbundled)');
  process.exit(0);
}

const entryPoints = Object.fromEntries(TOOLS.map((t) => [t, path.join(root, 'bin', `${t}.ts`)]));
entryPoints.thread = path.join(root, 'lib/apps/h2load/thread.ts');

/**
 * h2load and its worker threads are minified (whitespace and syntax; names kept, so a stack trace
 * still names its functions, at column positions of one long line): V8 keeps each script's source
 * in the heap for the process's life, and h2load's peak RSS is held to 50 MB (issue 13): 519 KB of
 * source -> 307 KB, ~0.2 MB less peak RSS at `-c 10 -m 10` (alternating runs, /usr/bin/time).
 * The other tools keep readable bundles.
 */
const MINIFIED = new Set(['h2load', 'thread']);

const build = (names, minify) =>
  esbuild.build({
    entryPoints: Object.fromEntries(names.map((n) => [n, entryPoints[n]])),
    outdir: path.join(root, 'dist/bundle'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['rxjs', 'htmlparser2'],
    minifyWhitespace: minify,
    minifySyntax: minify,
    // tsc's settings (target ES2022: class fields defined as tsc emits them)
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });

/**
 * Tools whose bundle gets a V8 code cache (dist/bundle/TOOL.cache; bin/launch.js compiles from it):
 * the bytecode of every function, so a run neither parses the bundle nor compiles a function on its
 * first call. nghttp is a one-shot client, start-up and warm-up are most of its CPU (issue 13:
 * `-n -m 20000` within 3x the C nghttp): callgrind, a one-request run 303 -> 214 M instructions,
 * `-m 20000` 1.54 -> 1.35 G. Not for h2load (its peak RSS is held to 50 MB: every function's
 * bytecode would be on the heap) nor the servers (a long run compiles its start-up once).
 */
const CODE_CACHED = ['nghttp'];

/**
 * Write TOOL.cache through bin/TOOL (the cache must be made under the V8 flags of its `#!` line),
 * then check that V8 takes it back; a refused cache is removed (the tool compiles as before).
 */
function writeCodeCache(tool) {
  const { execFileSync } = require('child_process');
  const fs = require('fs');
  const cacheFile = path.join(root, 'dist/bundle', `${tool}.cache`);
  const run = (step) =>
    execFileSync(path.join(root, 'bin', tool), [], { env: { ...process.env, NGHTTP2_TS_CODE_CACHE: step }, stdio: 'ignore' });
  try {
    run('write');
    run('check');
  } catch (e) {
    fs.rmSync(cacheFile, { force: true });
    console.log(`scripts/bundle.js: no code cache for ${tool} (${e.status === 1 ? 'V8 refused it' : e.message})`);
  }
}

// An old cache goes first: a cache beside a bundle it was not made from must never be read (the
// launcher also skips one older than its bundle).
for (const tool of CODE_CACHED) require('fs').rmSync(path.join(root, 'dist/bundle', `${tool}.cache`), { force: true });
const names = Object.keys(entryPoints);
Promise.all([build(names.filter((n) => !MINIFIED.has(n)), false), build(names.filter((n) => MINIFIED.has(n)), true)])
  .then(() => {
    for (const tool of CODE_CACHED) writeCodeCache(tool);
  })
  .catch((e) => {
    console.error(`scripts/bundle.js: ${e.message}`);
    process.exit(1);
  });
