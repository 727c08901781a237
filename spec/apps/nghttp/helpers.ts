/** Test helpers for nghttp: free ports, real servers started and stopped, the CLIs run with a time bound. */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from '../../helpers/repo';
import { freePort, waitForPort } from '../../helpers/net';
import { withSpawnSlot } from '../../helpers/spawn-slots';
export { repoRoot, freePort, waitForPort };

export const NGHTTP_BIN = path.join(repoRoot(), 'bin', 'nghttp');
export const FIXTURES = path.join(repoRoot(), 'spec', 'fixtures');

export interface Proc {
  child: ChildProcess;
  stop(): Promise<void>;
  output(): string;
}

/** Start a server process; `stop()` kills it and waits for its exit. */
export async function startServer(cmd: string, args: string[], port: number): Promise<Proc> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port);
  } catch {
    child.kill('SIGKILL');
    throw new Error(`${cmd} did not start: ${out}`);
  }
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a command to completion, killed after `timeoutMs` (default 60 s, a bound against hangs, not
 * a speed check; the timer starts once the run has a spawn slot); stdout/stderr as latin1 text.
 */
export function runCmd(
  cmd: string,
  args: string[],
  opts: { input?: Buffer | string; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return withSpawnSlot(() => runNow(cmd, args, opts));
}

function runNow(
  cmd: string,
  args: string[],
  opts: { input?: Buffer | string; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string },
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const ms = opts.timeoutMs ?? 60000;
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, ms);
    child.once('close', (code) => {
      clearTimeout(timer);
      const note = killed ? `\n[spec] ${path.basename(args[0] ?? cmd)} killed after ${ms} ms\n` : '';
      resolve({ code, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1') + note });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Our nghttp CLI. */
export function runOurs(
  args: string[],
  opts: { input?: Buffer | string; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return runCmd(process.execPath, [NGHTTP_BIN, ...args], opts);
}

/** A directory with the reference samples' documents: index.html (with assets), style.css, app.js, 1k. */
export function makeDocroot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttp-spec-'));
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<html><head><link rel="stylesheet" href="/style.css"><script src="app.js"></script></head>\n' +
      '<body><img src="/1k"><script src="/late.js#x"></script><img src="http://example.com/x.png"></body></html>\n',
  );
  fs.writeFileSync(path.join(dir, 'style.css'), 'body{color:red}\n');
  fs.writeFileSync(path.join(dir, 'app.js'), 'console.log(1)\n');
  fs.writeFileSync(path.join(dir, 'late.js'), 'x\n');
  fs.writeFileSync(path.join(dir, '1k'), Buffer.alloc(1024, 'a'));
  return dir;
}

/**
 * A TCP relay that holds the server's bytes until `ready(buffered)` says the whole answer is
 * there, then delivers them in one write: the client then reads everything in one go, which
 * makes the order of its sent and received lines deterministic for a line-by-line comparison.
 */
export async function holdingRelay(
  targetPort: number,
  ready: (buffered: Buffer) => boolean,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let held: Buffer[] = [];
    let released = false;
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      if (released) {
        client.write(d);
        return;
      }
      held.push(d);
      const all = Buffer.concat(held);
      if (ready(all)) {
        released = true;
        held = [];
        client.write(all);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', () => {
      if (!released && held.length) client.write(Buffer.concat(held));
      client.end();
    });
    client.on('error', end);
    upstream.on('error', end);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Whether `buf` (server-to-client HTTP/2 bytes) holds a frame ending `streamId` (END_STREAM). */
export function hasEndStream(buf: Buffer, streamId: number): boolean {
  let at = 0;
  while (at + 9 <= buf.length) {
    const len = buf.readUIntBE(at, 3);
    const type = buf[at + 3];
    const flags = buf[at + 4];
    const id = buf.readUInt32BE(at + 5) & 0x7fffffff;
    if (at + 9 + len > buf.length) return false;
    if (id === streamId && (type === 0 || type === 1) && flags & 1) return true;
    at += 9 + len;
  }
  return false;
}
