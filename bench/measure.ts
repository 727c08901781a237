/**
 * What the side-by-side benchmarks share: free ports, waiting for a listener, the C peers'
 * paths, and running one command under a rusage wrapper for its wall time, CPU seconds (user +
 * system) and peak RSS, so that ours and the C tool are measured the same way in one run.
 */
import { execFile, spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export const C_H2LOAD = '/usr/bin/h2load';
export const C_NGHTTP = '/usr/bin/nghttp';
export const C_NGHTTPD = '/usr/sbin/nghttpd';
export const C_NGHTTPX = '/usr/sbin/nghttpx';
/** The interpreter of RUSAGE (Debian's python3, which the interop peers need too). */
export const PYTHON3 = '/usr/bin/python3';
/**
 * `[...RUSAGE, outFile, ...argv]` runs argv and writes "wall user system maxrssKiB" to outFile,
 * like GNU time's `-f '%e %U %S %M'` but in microseconds: GNU time prints CPU seconds with two
 * decimals, so a C tool's 0.07 s run was 7 clock ticks and one tick moved a ratio by 15%. wait4's
 * rusage is exact (Linux scales the tick samples to the scheduler's nanosecond runtime). Its
 * pid is the wrapper's; the measured command is its child, as under GNU time.
 */
export const RUSAGE = [
  PYTHON3,
  '-c',
  [
    'import os, sys, time',
    't0 = time.monotonic()',
    'pid = os.fork()',
    'if pid == 0:',
    '    try: os.execvp(sys.argv[2], sys.argv[2:])',
    '    finally: os._exit(127)',
    '_, status, ru = os.wait4(pid, 0)',
    "with open(sys.argv[1], 'w') as f: f.write('%.6f %.6f %.6f %d\\n' % (time.monotonic() - t0, ru.ru_utime, ru.ru_stime, ru.ru_maxrss))",
    'sys.exit(os.waitstatus_to_exitcode(status) & 255)',
  ].join('\n'),
];

/** The repository root (where package.json is). */
export function repoRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
}

/**
 * Our launcher of `tool` as [command, ...args]: the bin file itself, run as a user runs it, so
 * that the Node flags on its `#!` line (the clients' semi-space cap) count in what is measured.
 */
export function ours(tool: string): string[] {
  return [path.join(repoRoot(), 'bin', tool)];
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
export async function waitPort(port: number, ms = 15000): Promise<void> {
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

/**
 * Run `argv` to completion under RUSAGE (killed after `timeoutMs`). `onSpawn` gets the pid of
 * the wrapper (the measured command is its child) as soon as it runs.
 */
export function measure(
  argv: string[],
  opts: { input?: string; timeoutMs?: number; onSpawn?: (pid: number) => void } = {},
): Promise<Measured> {
  const out = path.join(os.tmpdir(), `bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  return new Promise((resolve, reject) => {
    const child = execFile(
      RUSAGE[0],
      [...RUSAGE.slice(1), out, ...argv],
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
    if (opts.onSpawn && child.pid !== undefined) opts.onSpawn(child.pid);
  });
}

/** The machine's state, to print next to the ratios (they are what counts on a shared machine). */
export function machineLine(): string {
  return `${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}, Node ${process.version}`;
}

/** Preconditions: the C tools and python3 (RUSAGE); a message and false when one is missing. */
export function haveTools(...tools: string[]): boolean {
  for (const t of [PYTHON3, ...tools]) {
    if (!fs.existsSync(t)) {
      console.log(`this benchmark needs ${t} (Debian packages: python3, nghttp2-client, nghttp2-server)`);
      return false;
    }
  }
  return true;
}

/** What one run of Debian's h2load reported. */
export interface H2loadRun {
  /** The "finished in" line's req/s. */
  reqPerSec: number;
  /** Its transfer rate in MB/s. */
  mbPerSec: number;
  total: number;
  succeeded: number;
  failed: number;
  /** The "finished in ..." line as printed. */
  line: string;
}

/** Run Debian's h2load (`-t 1 -c 10 -m 10` unless `args` says) for `n` requests on `url`. */
export function runH2load(url: string, n: number, args: string[] = ['-t', '1', '-c', '10', '-m', '10']): Promise<H2loadRun> {
  return new Promise((resolve, reject) => {
    execFile(C_H2LOAD, [...args, '-n', String(n), url], { maxBuffer: 1 << 22 }, (err, stdout, stderr) => {
      if (err && !stdout) return reject(err);
      const fin = /finished in [^,]+, ([\d.]+) req\/s, ([\d.]+)([KMG]?B)\/s/.exec(stdout);
      const req = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(stdout);
      if (!fin || !req) return reject(new Error(`h2load output not understood:\n${stdout}${stderr}`));
      const unit = { B: 1 / 1e6, KB: 1 / 1024, MB: 1, GB: 1024 }[fin[3]] ?? 1;
      resolve({
        reqPerSec: Number(fin[1]),
        mbPerSec: Number(fin[2]) * unit,
        total: Number(req[1]),
        succeeded: Number(req[2]),
        failed: Number(req[3]),
        line: fin[0],
      });
    });
  });
}

/** `pid` and every descendant of it (from /proc). */
function processTree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [c, p] of parent) if (p === out[i]) out.push(c);
  return out;
}

/**
 * Resident MB of the descendants of `pid` (not `pid` itself: the RUSAGE wrapper) by kind of mapping, from
 * /proc/PID/smaps: `node code` / `node rodata` (the node binary's r-x and r-- pages), `malloc`
 * ([heap]), `anon` (V8's heap, ArrayBuffer data and other mmaps), `libs` (shared objects), `other`.
 * Null when no descendant could be read.
 */
export function rssByMapping(pid: number): Record<string, number> | null {
  const out: Record<string, number> = {};
  let seen = false;
  for (const p of processTree(pid).slice(1)) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${p}/smaps`, 'utf8');
    } catch {
      continue;
    }
    seen = true;
    let kind = 'other';
    for (const line of text.split('\n')) {
      const m = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (m) {
        const [, perms, name] = m;
        if (/\/node$/.test(name)) kind = perms.startsWith('r-x') ? 'node code' : perms.startsWith('r--') ? 'node rodata' : 'other';
        else if (name === '[heap]') kind = 'malloc';
        else if (name === '') kind = 'anon';
        else if (name.startsWith('/')) kind = 'libs';
        else kind = 'other';
        continue;
      }
      const r = /^Rss:\s+(\d+) kB/.exec(line);
      if (r) out[kind] = (out[kind] ?? 0) + Number(r[1]) / 1024;
    }
  }
  return seen ? out : null;
}

/** USER_HZ on Linux: /proc's CPU times are in these ticks. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) used so far by a running process and its descendants. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** User and system CPU seconds of a running process and its descendants (utime, stime), apart. */
export function treeCpuSplit(pid: number): { user: number; system: number } {
  let user = 0;
  let system = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(f[11]);
      system += Number(f[12]);
    } catch {
      // exited
    }
  }
  return { user: user / TICKS_PER_SECOND, system: system / TICKS_PER_SECOND };
}

/** Resident set size of a running process and its descendants, MB. */
export function treeRssMB(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // exited
    }
  }
  return kb / 1024;
}

/**
 * Proportional set size (MB) of a running process and its descendants: each page shared between
 * processes counted once in all (the node binary's pages appear in every worker's RSS).
 */
export function treePssMB(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // exited, or no smaps_rollup
    }
  }
  return kb / 1024;
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
