/**
 * bin/launch.js's V8 code cache (dist/bundle/TOOL.cache, written by scripts/bundle.js): the built
 * nghttp has one that V8 takes under bin/nghttp's flags, a tool compiled from a cache runs as the
 * module it would be under require(), and a cache is never read for a bundle newer than it (V8
 * itself only compares the source's length).
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from '../../helpers/repo';

const ROOT = repoRoot();
const LAUNCH = path.join(ROOT, 'bin/launch.js');

/** A tree laid out as the package's: bin/launch.js, dist/bin/t.js, dist/bundle/t.js; removed after the test. */
function fakeTool(t: { teardown(fn: () => void): void }, bundle: string): { dir: string; bundle: string; cache: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'code-cache-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.mkdirSync(path.join(dir, 'dist/bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'dist/bundle'));
  fs.copyFileSync(LAUNCH, path.join(dir, 'bin/launch.js'));
  fs.writeFileSync(path.join(dir, 'dist/bin/t.js'), "process.stdout.write('plain');");
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(dir, 'dist/bin/t.js'), old, old);
  fs.writeFileSync(path.join(dir, 'dist/bundle/t.js'), bundle);
  return { dir, bundle: path.join(dir, 'dist/bundle/t.js'), cache: path.join(dir, 'dist/bundle/t.cache') };
}

/** Run the fake tool through its launcher (under this Node's flags, as the cache was made). */
function runTool(dir: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(dir, 'bin/launch.js'))})('t')`], {
    env: { ...process.env, NGHTTP2_TS_CODE_CACHE: '', ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout };
}

test("the built nghttp has a code cache that V8 takes under bin/nghttp's flags, and runs from it", (t) => {
  const cache = path.join(ROOT, 'dist/bundle/nghttp.cache');
  t.true(fs.existsSync(cache), 'npm run build writes dist/bundle/nghttp.cache');
  t.true(fs.statSync(cache).mtimeMs >= fs.statSync(path.join(ROOT, 'dist/bundle/nghttp.js')).mtimeMs);
  const nghttp = path.join(ROOT, 'bin/nghttp');
  const check = spawnSync(nghttp, [], { env: { ...process.env, NGHTTP2_TS_CODE_CACHE: 'check' } });
  t.is(check.status, 0, 'V8 refused the cache');
  // The same tool as the unbundled build.
  const env = { ...process.env, NGHTTP2_TS_CODE_CACHE: '' };
  const plain = execFileSync(process.execPath, [path.join(ROOT, 'dist/bin/nghttp.js'), '--version'], { env, encoding: 'utf8' });
  t.is(execFileSync(nghttp, ['--version'], { env, encoding: 'utf8' }), plain);
});

test('a bundle compiled from its cache runs as a CommonJS module: exports, require from its directory, __filename', (t) => {
  const tool = fakeTool(
    t,
    "module.exports.x = 1; exports.y = 2; process.stdout.write([typeof require('./helper').h, __filename, __dirname, module.exports.y, this === module.exports].join(' '));",
  );
  fs.writeFileSync(path.join(path.dirname(tool.bundle), 'helper.js'), 'exports.h = () => 1;');
  t.is(runTool(tool.dir, { NGHTTP2_TS_CODE_CACHE: 'write' }).status, 0);
  t.true(fs.existsSync(tool.cache));
  t.is(runTool(tool.dir, { NGHTTP2_TS_CODE_CACHE: 'check' }).status, 0);
  const r = runTool(tool.dir);
  t.is(r.status, 0);
  t.is(r.stdout, `function ${tool.bundle} ${path.dirname(tool.bundle)} 2 true`);
});

test('a cache older than its bundle is not read, even for a source of the same length', (t) => {
  const tool = fakeTool(t, "process.stdout.write('AAAA');");
  t.is(runTool(tool.dir, { NGHTTP2_TS_CODE_CACHE: 'write' }).status, 0);
  t.is(runTool(tool.dir).stdout, 'AAAA');
  // The bundle rebuilt after the cache: same length, other code. V8's own check would take it.
  const past = new Date(Date.now() - 30_000);
  fs.utimesSync(tool.cache, past, past);
  fs.writeFileSync(tool.bundle, "process.stdout.write('BBBB');");
  t.is(runTool(tool.dir).stdout, 'BBBB');
});

test('a cache V8 refuses (not a cache at all) leaves the tool compiling from its source', (t) => {
  const tool = fakeTool(t, "process.stdout.write('bundle');");
  fs.writeFileSync(tool.cache, Buffer.alloc(4096, 7));
  t.is(runTool(tool.dir, { NGHTTP2_TS_CODE_CACHE: 'check' }).status, 1);
  const r = runTool(tool.dir);
  t.is(r.status, 0);
  t.is(r.stdout, 'bundle');
});
