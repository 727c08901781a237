/**
 * `npm run build`'s second step: each tool's compiled entry (dist/bin/TOOL.js) and everything it
 * imports from this package, bundled by esbuild into one file, dist/bundle/TOOL.js, which
 * bin/TOOL runs. Start-up is most of a one-shot run's CPU, and resolving, reading and compiling
 * ~75 modules one by one costs ~0.05 s more than one file (`npm run bench:startup`).
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

const entryPoints = Object.fromEntries(TOOLS.map((t) => [t, path.join(root, 'dist/bin', `${t}.js`)]));
entryPoints.thread = path.join(root, 'dist/lib/apps/h2load/thread.js');

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
    logLevel: 'warning',
  });

const names = Object.keys(entryPoints);
Promise.all([build(names.filter((n) => !MINIFIED.has(n)), false), build(names.filter((n) => MINIFIED.has(n)), true)]).catch((e) => {
  console.error(`scripts/bundle.js: ${e.message}`);
  process.exit(1);
});
