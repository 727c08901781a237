/** Helpers for the examples' specs: a Debian nghttpd over a docroot, an example process, nghttp runs. */
import { ChildProcess, execFile, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { freePort, waitForPort } from '../helpers/net';
import { repoRoot } from '../helpers/repo';

/** Whether Debian's nghttp and nghttpd are installed. */
export const haveNghttp2 = fs.existsSync('/usr/bin/nghttp') && fs.existsSync('/usr/sbin/nghttpd');

/** A process the spec owns, stopped by `stop()`. */
export interface Proc {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill('SIGTERM');
    });
}

/** A docroot of `files` (name -> content), removed by the returned cleanup. */
export function docroot(files: Record<string, Buffer | string>): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'examples-spec-'));
  for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Debian's nghttpd (h2c) serving `dir`, with extra arguments. */
export async function startNghttpd(dir: string, args: string[] = []): Promise<Proc> {
  const port = await freePort();
  const proc = spawn('/usr/sbin/nghttpd', ['--no-tls', '-a', '127.0.0.1', '-d', dir, ...args, String(port)], { stdio: 'ignore' });
  try {
    await waitForPort(port, 20000);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return { port, proc, stop: stopper(proc) };
}

/**
 * Run dist/examples/NAME.js in front of `upstreamPort`; resolves once it says on stderr that it
 * listens. Bounded at 60 s, against a hang (at load 40, beside a build, one start took over 20 s).
 */
export async function startExample(name: string, upstreamPort: number): Promise<Proc & { stdout(): string }> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [path.join(repoRoot(), 'dist', 'examples', `${name}.js`), String(port), `127.0.0.1:${upstreamPort}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.setEncoding('latin1').on('data', (s: string) => (out += s));
  // Probing the port would open a connection the example relays: wait for its message instead.
  const listening = new Promise<void>((resolve, reject) => {
    proc.stderr!.once('data', () => resolve());
    proc.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`${name} did not start within 60 s`)), 60000).unref(),
  );
  try {
    await Promise.race([listening, timeout]);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return { port, proc, stop: stopper(proc), stdout: () => out };
}

/** The outcome of one nghttp run. */
export interface NghttpRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run Debian's nghttp with `args` (bounded by `timeoutMs`). */
export function nghttp(args: string[], timeoutMs = 60000): Promise<NghttpRun> {
  return new Promise((resolve) => {
    execFile('/usr/bin/nghttp', args, { timeout: timeoutMs, encoding: 'latin1', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (((err as { code?: unknown }).code as number | null) ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}
