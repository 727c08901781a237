/**
 * The README runs as written. Every ```ts block compiles under strict TypeScript against the
 * package as a user installs it (`nghttp2-ts` resolving to this checkout); every block with
 * `// prints: X` lines is run (compiled once by tsc) and each X must appear in its output; and no shell
 * block runs one of our tools by its bare name (that would run Debian's C tool, or nothing).
 */
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot, run } from '../interop/harness';

const root = repoRoot();
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
/** Every fenced block: its language tag ('' when untagged), its code, and the README line it starts on. */
const blocks: { lang: string; code: string; line: number }[] = [];
{
  let open: { lang: string; line: number; lines: string[] } | undefined;
  readme.split('\n').forEach((l, i) => {
    const fence = /^```(\S*)\s*$/.exec(l);
    if (open && fence && fence[1] === '') {
      blocks.push({ lang: open.lang, code: open.lines.map((x) => `${x}\n`).join(''), line: open.line });
      open = undefined;
    } else if (open) open.lines.push(l);
    else if (fence) open = { lang: fence[1], line: i + 1, lines: [] };
  });
}
/** Each fenced block of a language, with the README line it starts on. */
const fenced = (lang: string) => blocks.filter((b) => b.lang === lang);
const tsBlocks = fenced('ts');
const runnable = tsBlocks.filter((b) => b.code.includes('// prints:'));

/** A folder where `nghttp2-ts` and the project's own dependencies resolve as for a user. */
function userProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttp2-ts-readme-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'nghttp2-ts'), 'dir');
  for (const dep of ['rxjs', '@types']) fs.symlinkSync(path.join(root, 'node_modules', dep), path.join(dir, 'node_modules', dep), 'dir');
  return dir;
}

test('the README has TypeScript examples, and runnable ones', (t) => {
  t.true(tsBlocks.length >= 6, `found ${tsBlocks.length} ts blocks`);
  t.true(runnable.length >= 4, `found ${runnable.length} runnable blocks`);
});

/** One strict compile of every block (emitting JS beside each), shared by the compile and run specs. */
let compiled: { dir: string; status: number | null; out: string } | undefined;
function compileAll(): { dir: string; status: number | null; out: string } {
  if (compiled) return compiled;
  const dir = userProject();
  const files = tsBlocks.map((b) => {
    const file = path.join(dir, `readme-line-${b.line}.ts`);
    // Each block is its own module (no shared globals between blocks).
    fs.writeFileSync(file, /^\s*(import|export)\s/m.test(b.code) ? b.code : `${b.code}\nexport {};\n`);
    return file;
  });
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        lib: ['ES2022'],
        types: ['node'],
        esModuleInterop: true,
        skipLibCheck: true,
      },
      files,
    }),
  );
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], { encoding: 'utf8', timeout: 110_000 });
  // Name the README line of each error instead of the temp file.
  const out = (tsc.stdout + tsc.stderr).replace(
    /\S*readme-line-(\d+)\.ts\((\d+),\d+\)/g,
    (_m, start, l) => `README.md:${Number(start) + Number(l)}`,
  );
  compiled = { dir, status: tsc.status, out };
  return compiled;
}
test.after.always(() => {
  if (compiled) fs.rmSync(compiled.dir, { recursive: true, force: true });
});

test.serial('every TypeScript block of the README compiles under strict TypeScript against the package', (t) => {
  const c = compileAll();
  t.is(c.status, 0, c.out);
});

runnable.forEach((b) => {
  test.serial(`README example at line ${b.line} runs and prints what it says`, async (t) => {
    const c = compileAll();
    const js = path.join(c.dir, `readme-line-${b.line}.js`);
    t.true(fs.existsSync(js), c.out);
    const r = await run(process.execPath, [js], { cwd: root, timeoutMs: 60000 });
    t.is(r.code, 0, r.stderr);
    const out = r.stdout.toString();
    for (const m of b.code.matchAll(/\/\/ prints: (.*)$/gm)) t.true(out.includes(m[1]), `expected "${m[1]}" in:\n${out}`);
  });
});

test('shell blocks run our tools as ./bin/TOOL or npx TOOL, never by a bare name', (t) => {
  const tools = ['nghttp', 'nghttpd', 'nghttpx', 'h2load', 'deflatehd', 'inflatehd'];
  const bare = new RegExp(`(^|[|;&(]\\s*|^\\$\\s+)(${tools.join('|')})(\\s|$)`);
  const offenders: string[] = [];
  // An untagged block showing a session is read as a console block.
  for (const lang of ['sh', 'console', 'bash', '']) {
    for (const b of fenced(lang)) {
      b.code.split('\n').forEach((l, i) => {
        // In a console block only the `$ ` lines are commands; the rest is output.
        if ((lang === 'console' || lang === '') && !l.startsWith('$ ')) return;
        const cmd = l.replace(/#.*$/, '');
        if (bare.test(cmd)) offenders.push(`README.md:${b.line + i + 1}: ${l.trim()}`);
      });
    }
  }
  t.deepEqual(offenders, []);
});
