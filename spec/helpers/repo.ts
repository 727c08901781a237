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

/**
 * The hpack-test-case stories: `$HPACK_TEST_CASE_DIR` when set, else `../shared/vectors/hpack-test-case`
 * beside the repository; undefined where neither exists (specs then skip, saying how to get them).
 */
export function hpackTestCaseDir(): string | undefined {
  const dir = process.env.HPACK_TEST_CASE_DIR || path.join(SHARED, 'vectors/hpack-test-case');
  return fs.existsSync(dir) ? path.resolve(dir) : undefined;
}

/** Why an hpack-test-case spec was skipped, and how to run it. */
export const NO_HPACK_TEST_CASE =
  'hpack-test-case stories not found: set HPACK_TEST_CASE_DIR to a checkout of the public hpack-test-case repository';

/** A file of the reference material (`../shared/reference/REL`), or undefined where it is absent. */
export function referenceFile(rel: string): string | undefined {
  const file = path.join(SHARED, 'reference', rel);
  return fs.existsSync(file) ? file : undefined;
}

/** Why a spec that replays the reference tools' recorded output was skipped. */
export const NO_REFERENCE_SAMPLES = '../shared/reference/samples (recorded output of the C tools) not found beside the repository';

/** Where Debian installs each C tool, and the package that brings it. */
const DEBIAN_TOOLS: Record<string, { bin: string; pkg: string }> = {
  nghttp: { bin: '/usr/bin/nghttp', pkg: 'nghttp2-client' },
  h2load: { bin: '/usr/bin/h2load', pkg: 'nghttp2-client' },
  nghttpd: { bin: '/usr/sbin/nghttpd', pkg: 'nghttp2-server' },
  nghttpx: { bin: '/usr/sbin/nghttpx', pkg: 'nghttp2-proxy' },
};

/**
 * The C tool's `--help` text: `../shared/reference/help/TOOL.txt` where present, else produced live
 * by the installed Debian tool; `skip` says which package to install when neither is there.
 */
export function referenceHelp(tool: 'nghttp' | 'h2load' | 'nghttpd' | 'nghttpx'): { text?: string; skip?: string } {
  const file = referenceFile(`help/${tool}.txt`);
  if (file) return { text: fs.readFileSync(file, 'utf8') };
  const { bin, pkg } = DEBIAN_TOOLS[tool];
  if (!fs.existsSync(bin)) return { skip: `neither ../shared/reference/help/${tool}.txt nor ${bin} found: apt-get install ${pkg}` };
  const { spawnSync } = require('child_process') as typeof import('child_process');
  return { text: spawnSync(bin, ['--help'], { encoding: 'utf8' }).stdout };
}
