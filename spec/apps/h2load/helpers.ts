/** Helpers for the h2load specs: repo root, free ports, servers started and stopped by the tests, running a CLI. */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from '../../helpers/repo';
import { freePort, waitForPort } from '../../helpers/net';
import { withSpawnSlot } from '../../helpers/spawn-slots';
export { freePort, waitForPort };

export const ROOT = repoRoot();
export const FIXTURES = path.join(ROOT, 'spec', 'fixtures');
export const OUR_H2LOAD = path.join(ROOT, 'bin', 'h2load');
export const OUR_NGHTTPD = path.join(ROOT, 'bin', 'nghttpd');

/** A server process the test owns. */
export interface Server {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Start `cmd args` (args may use {port}) and wait until it accepts connections. */
export async function startServer(cmd: string, args: string[]): Promise<Server> {
  const port = await freePort();
  const proc = spawn(
    cmd,
    args.map((a) => a.replace('{port}', String(port))),
    { stdio: 'ignore' },
  );
  try {
    await waitForPort(port);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    port,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

/** A docroot with 1k and 100k files (deterministic content). */
export function makeDocroot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'h2load-spec-'));
  fs.writeFileSync(path.join(dir, '1k'), Buffer.alloc(1024, 'a'));
  fs.writeFileSync(path.join(dir, '100k'), Buffer.alloc(102400, 'b'));
  return dir;
}

/** The outcome of a CLI run. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a command to completion, killed after `timeoutMs` (60 s: a bound against hangs, not a speed
 * check; at load 20+ on 2 cores a 500-request run of ours took over 20 s). A kill is said on stderr.
 * The timer starts once the run has a spawn slot (spec/helpers/spawn-slots.ts).
 */
export function run(cmd: string, args: string[], timeoutMs = 60000): Promise<Run> {
  return withSpawnSlot(() => runNow(cmd, args, timeoutMs));
}

function runNow(cmd: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('latin1').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let killed = false;
    const t = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      if (killed) stderr += `\n[spec] ${path.basename(args[0] ?? cmd)} killed after ${timeoutMs} ms\n`;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Run our h2load. */
export function h2load(args: string[], timeoutMs?: number): Promise<Run> {
  return run(process.execPath, [OUR_H2LOAD, ...args], timeoutMs);
}

/** Where the reference's sample outputs are (read in place, never copied). */
export const SAMPLES = path.resolve(ROOT, '..', 'shared', 'reference', 'samples');
