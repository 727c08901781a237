/**
 * The README's session-section examples run as written: each ```ts block that imports
 * 'nghttp2-ts' is written to a temp file and run with ts-node (the package name resolving to
 * this checkout); every `// prints: X` line must appear in its output.
 */
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot, run } from '../interop/harness';

const root = repoRoot();
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const section = /<!-- section:session -->([\s\S]*?)<!-- \/section:session -->/.exec(readme)?.[1] ?? '';
const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes("from 'nghttp2-ts'"));

test('the README session section has runnable examples', (t) => {
  t.true(blocks.length >= 3, `found ${blocks.length} examples`);
});

blocks.forEach((code, i) => {
  test(`README session example ${i + 1} runs and prints what it says`, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttp2-ts-readme-'));
    try {
      // `nghttp2-ts` resolves to this checkout (package.json main: dist/lib/index.js).
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(root, path.join(dir, 'node_modules', 'nghttp2-ts'), 'dir');
      const file = path.join(dir, `example${i + 1}.ts`);
      fs.writeFileSync(file, code);
      const r = await run(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), file], {
        cwd: root,
        timeoutMs: 60000,
        env: { ...process.env, NODE_PATH: [path.join(dir, 'node_modules'), path.join(root, 'node_modules')].join(path.delimiter), TS_NODE_PROJECT: path.join(root, 'tsconfig.json') },
      });
      t.is(r.code, 0, r.stderr);
      const out = r.stdout.toString();
      for (const m of code.matchAll(/\/\/ prints: (.*)$/gm)) t.true(out.includes(m[1]), `expected "${m[1]}" in:\n${out}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
