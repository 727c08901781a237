/**
 * What every bin/TOOL runs: dist/bundle/TOOL.js (one file, scripts/bundle.js) when it is at least
 * as new as dist/bin/TOOL.js, else dist/bin/TOOL.js (no bundle, or tsc ran after the bundling).
 */
'use strict';
const fs = require('fs');
const path = require('path');

module.exports = function launch(tool) {
  const plain = path.join(__dirname, '..', 'dist', 'bin', `${tool}.js`);
  const bundle = path.join(__dirname, '..', 'dist', 'bundle', `${tool}.js`);
  let entry = plain;
  try {
    if (fs.statSync(bundle).mtimeMs >= fs.statSync(plain).mtimeMs) entry = bundle;
  } catch {
    // no bundle (or no build at all: the require below says so)
  }
  require(entry);
};
