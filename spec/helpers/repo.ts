/**
 * Where specs find things: the repository root (specs run from dist/, so it is found by walking
 * up to package.json), the shared material beside it, and the TLS fixtures.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The repository root: the nearest directory above this file that holds package.json. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + __dirname);
    dir = up;
  }
  return dir;
}

/** `../shared` beside the repository (vectors and reference material; never copied in). */
export const SHARED = path.resolve(repoRoot(), '../shared');

/** The self-signed localhost key and certificate used by every TLS spec. */
export const FIXTURE_KEY = path.join(repoRoot(), 'spec/fixtures/server.key');
export const FIXTURE_CERT = path.join(repoRoot(), 'spec/fixtures/server.crt');
