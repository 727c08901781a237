/**
 * What the side-by-side benchmarks share: free ports, waiting for a listener, the C peers'
 * paths, and running one command under GNU time for its wall time, CPU seconds (user + system)
 * and peak RSS, so that ours and the C tool are measured the same way in one run.
 */
import { execFile, spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export const C_H2LOAD = '/usr/bin/h2load';
export const C_NGHTTP = '/usr/bin/nghttp';
export const C_NGHTTPD = '/usr/sbin/nghttpd';
export const GNU_TIME = '/usr/bin/time';

/** The repository root (where package.json is). */
export function repoRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
}

/** Our launcher of `tool` as [command, ...args]. */
export function ours(tool: string): string[] {
  return [process.execPath, path.join(repoRoot(), 'bin', tool)];
}

/** A port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts connections (bounded by `ms`). */
export async function waitPort(port: number, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open`);
}

/** Debian's C nghttpd on a free port serving `docroot` over h2c; `stop()` ends it. */
export async function startCNghttpd(docroot: string): Promise<{ port: number; child: ChildProcess; stop(): void }> {
  const port = await freePort();
  const child = spawn(C_NGHTTPD, ['-a', '127.0.0.1', '-d', docroot, '--no-tls', String(port)], { stdio: 'ignore' });
  await waitPort(port);
  return { port, child, stop: () => child.kill('SIGKILL') };
}

/** What one measured command cost. */
export interface Measured {
  /** Wall seconds. */
  wall: number;
  /** CPU seconds, user + system. */
  cpu: number;
  /** Peak resident set, MB. */
  rssMB: number;
  stdout: string;
  code: number | null;
}

/** Run `argv` to completion under GNU time (killed after `timeoutMs`). */
export function measure(argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Measured> {
  const out = path.join(os.tmpdir(), `bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  return new Promise((resolve, reject) => {
    const child = execFile(
      GNU_TIME,
      ['-f', '%e %U %S %M', '-o', out, ...argv],
      { maxBuffer: 1 << 26, timeout: opts.timeoutMs ?? 600000, encoding: 'latin1' },
      (err, stdout) => {
        let t: number[];
        try {
          t = fs.readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
          fs.rmSync(out, { force: true });
        } catch {
          reject(err ?? new Error(`no timing for ${argv.join(' ')}`));
          return;
        }
        resolve({ wall: t[0], cpu: t[1] + t[2], rssMB: t[3] / 1024, stdout, code: err ? ((err as { code?: number }).code ?? null) : 0 });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The machine's state, to print next to the ratios (they are what counts on a shared machine). */
export function machineLine(): string {
  return `${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}, Node ${process.version}`;
}

/** Preconditions: the C tools and GNU time; a message and false when one is missing. */
export function haveTools(...tools: string[]): boolean {
  for (const t of [GNU_TIME, ...tools]) {
    if (!fs.existsSync(t)) {
      console.log(`this benchmark needs ${t} (Debian packages: time, nghttp2-client, nghttp2-server)`);
      return false;
    }
  }
  return true;
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
