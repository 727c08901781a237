/**
 * The one launcher (lib/apps/common/cli.ts `launch`): exit codes, one-line messages instead of
 * stack traces, and a reader that goes away (`| head`) ending a tool quietly. Signals are in
 * signals.spec.ts.
 */
import test from 'ava';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from '../../helpers/repo';

const CLI = path.join(repoRoot(), 'dist/lib/apps/common/cli.js');
const UNITS = path.join(repoRoot(), 'dist/lib/apps/common/units.js');

/** A tool on the launcher whose main() does what `kind` says. */
const TOOL = `
const { launch, ToolError } = require(${JSON.stringify(CLI)});
const { UsageError } = require(${JSON.stringify(UNITS)});
const kind = process.argv[1];
launch('tool', async () => {
  switch (kind) {
    case 'code': return 3;
    case 'usage': throw new UsageError('-x: bad value');
    case 'tool': throw new ToolError("-d: '/nonexistent' does not exist");
    case 'errno': throw Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:80'), { code: 'EADDRINUSE', syscall: 'listen' });
    case 'internal': throw new TypeError('x is not a function');
    case 'flood': {
      // 8 MiB, far more than a pipe holds: the reader is gone long before the end.
      const line = Buffer.alloc(1024, 120);
      for (let i = 0; i < 8192; i++) process.stdout.write(line);
      return 0;
    }
  }
});
`;

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `node -e TOOL kind`; with `readOnly` bytes, stop reading its stdout after them. */
function run(kind: string, env: NodeJS.ProcessEnv = {}, readOnly?: number): Promise<Ran> {
  return runCommand(process.execPath, ['-e', TOOL, kind], env, readOnly);
}

function runCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, readOnly?: number, stdin?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, NGHTTP2_TS_DEBUG: '', ...env },
      stdio: [stdin === undefined ? 'ignore' : fs.openSync(stdin, 'r'), 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      // The reader goes away, as `| head -c N` does.
      if (readOnly !== undefined && out.length >= readOnly) child.stdout!.destroy();
    });
    child.stderr!.on('data', (d) => (err += d));
    const bound = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(bound);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
}

test('a number from main is the exit status', async (t) => {
  const r = await run('code');
  t.is(r.code, 3);
  t.is(r.stderr, '');
});

test('a usage error: one line naming the tool and --help, exit 1', async (t) => {
  const r = await run('usage');
  t.is(r.code, 1);
  t.is(r.stderr, "tool: -x: bad value. Try 'tool --help'.\n");
});

test('a failure the user can act on (ToolError, errno error): one line, exit 1, no stack', async (t) => {
  const tool = await run('tool');
  t.is(tool.code, 1);
  t.is(tool.stderr, "tool: -d: '/nonexistent' does not exist\n");
  const errno = await run('errno');
  t.is(errno.code, 1);
  t.is(errno.stderr, 'tool: listen EADDRINUSE: address already in use 127.0.0.1:80\n');
});

test('an internal error: one line and exit 2; the stack only with NGHTTP2_TS_DEBUG=1', async (t) => {
  const r = await run('internal');
  t.is(r.code, 2);
  t.is(r.stderr, 'tool: internal error: x is not a function (NGHTTP2_TS_DEBUG=1 shows the stack; please report it)\n');
  const debug = await run('internal', { NGHTTP2_TS_DEBUG: '1' });
  t.is(debug.code, 2);
  t.regex(debug.stderr, /^tool: internal error: x is not a function[^\n]*\nTypeError: x is not a function\n\s+at /);
});

test('a reader that goes away (| head) ends the tool quietly: exit 0, nothing on stderr', async (t) => {
  const r = await run('flood', {}, 4096);
  t.deepEqual({ code: r.code, signal: r.signal, stderr: r.stderr }, { code: 0, signal: null, stderr: '' });
});

test('a real tool through the launcher: deflatehd -d into a reader that goes away ends quietly', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const input = path.join(dir, 'in.json');
  const cases = Array.from({ length: 3000 }, (_, i) => ({ headers: [{ [`x-${i}`]: 'v'.repeat(60) }] }));
  fs.writeFileSync(input, JSON.stringify({ cases }));
  const r = await runCommand(path.join(repoRoot(), 'bin/deflatehd'), ['-d'], {}, 4096, input);
  t.deepEqual({ code: r.code, signal: r.signal, stderr: r.stderr }, { code: 0, signal: null, stderr: '' });
});
