/**
 * What every bin/TOOL runs: dist/bundle/TOOL.js (one file, scripts/bundle.js) when it is at least
 * as new as dist/bin/TOOL.js, else dist/bin/TOOL.js (no bundle, or tsc ran after the bundling).
 *
 * A bundle with a V8 code cache beside it (dist/bundle/TOOL.cache, written by scripts/bundle.js
 * after the bundle, so at least as new) is compiled from that cache: the bytecode of every
 * function is read back instead of parsing the bundle and compiling each function on its first
 * call. For nghttp that was ~90 M of the ~300 M instructions of a one-request run and ~150 M of
 * `-n -m 20000`'s ~1.5 G (callgrind). V8 checks that the cache belongs to this V8, these flags
 * and a source of this length, and compiles from the source as usual when it does not.
 */
'use strict';
const fs = require('fs');
const path = require('path');

/**
 * The text a bundle is compiled as: a CommonJS module function, as Node's loader makes one. The
 * cache is made for exactly this text (scripts/bundle.js writes it through this file).
 */
function wrapped(source) {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/** `bundle` compiled as {@link wrapped} text (from `cachedData` where V8 takes it, else from its source). */
function compile(bundle, cachedData) {
  const vm = require('vm');
  return new vm.Script(wrapped(fs.readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
}

/** Compile `bundle` with `cachedData` and run it as the module it would be under require(). */
function runBundle(bundle, cachedData) {
  const script = compile(bundle, cachedData);
  // module.constructor is Node's Module: require('module') would load four more internal modules.
  const Module = module.constructor;
  const m = new Module(bundle, module);
  m.filename = bundle;
  script.runInThisContext().call(m.exports, m.exports, Module.createRequire(bundle), m, bundle, path.dirname(bundle));
  m.loaded = true;
}

/**
 * scripts/bundle.js, through the tool's own launcher (so under the V8 flags of its `#!` line, which
 * the cache must match): NGHTTP2_TS_CODE_CACHE=write compiles every function of the bundle (not
 * only those a run calls) and writes the cache; =check compiles with it and exits 1 if V8 refuses it.
 */
function codeCacheStep(step, bundle, cacheFile) {
  if (step === 'write') {
    const v8 = require('v8');
    v8.setFlagsFromString('--no-lazy');
    const script = compile(bundle, undefined);
    // Back to the default before the cache is made: it records the flags it was made under.
    v8.setFlagsFromString('--lazy');
    const tmp = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(tmp, script.createCachedData());
    fs.renameSync(tmp, cacheFile);
    return 0;
  }
  return compile(bundle, fs.readFileSync(cacheFile)).cachedDataRejected === false ? 0 : 1;
}

module.exports = function launch(tool) {
  const plain = path.join(__dirname, '..', 'dist', 'bin', `${tool}.js`);
  const bundle = path.join(__dirname, '..', 'dist', 'bundle', `${tool}.js`);
  const cacheFile = path.join(__dirname, '..', 'dist', 'bundle', `${tool}.cache`);
  const step = process.env.NGHTTP2_TS_CODE_CACHE;
  if (step === 'write' || step === 'check') {
    process.exitCode = codeCacheStep(step, bundle, cacheFile);
    return;
  }
  let entry = plain;
  let bundleTime = 0;
  try {
    bundleTime = fs.statSync(bundle).mtimeMs;
    if (bundleTime >= fs.statSync(plain).mtimeMs) entry = bundle;
  } catch {
    // no bundle (or no build at all: the require below says so)
  }
  if (entry === bundle) {
    let cachedData;
    try {
      if (fs.statSync(cacheFile).mtimeMs >= bundleTime) cachedData = fs.readFileSync(cacheFile);
    } catch {
      // no cache for this tool
    }
    if (cachedData !== undefined) {
      runBundle(bundle, cachedData);
      return;
    }
  }
  require(entry);
};
