/**
 * Interop test harness: finding the repo's fixtures, picking free ports, running real peers
 * (nghttp, nghttpd, curl) with bounded time, and the deterministic bodies the tests hash.
 */
import { spawn, ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Readable } from 'stream';
import { repoRoot } from '../helpers/repo';
export { repoRoot };
export { freePort } from '../helpers/net';

/** The repository root (the directory holding package.json), found from this file upward. */

/** The self-signed localhost key and certificate of spec/fixtures. */
export function fixtureTls(): { key: Buffer; cert: Buffer; keyPath: string; certPath: string } {
  const dir = path.join(repoRoot(), 'spec', 'fixtures');
  const keyPath = path.join(dir, 'server.key');
  const certPath = path.join(dir, 'server.crt');
  return { key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath), keyPath, certPath };
}

/** Whether a binary exists (interop tests skip, naming the Debian package, when it does not). */
export const has = (bin: string): boolean => fs.existsSync(bin);
export const NGHTTP = '/usr/bin/nghttp';
export const NGHTTPD = '/usr/sbin/nghttpd';
export const CURL = fs.existsSync('/usr/bin/curl') ? '/usr/bin/curl' : '/bin/curl';

/** The outcome of a finished peer process. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
  /** Why it was killed, when it was: past `timeoutMs`, or no I/O for `idleMs`. */
  killed?: 'timeout' | 'stalled';
}

/** Bytes a process has read and written so far, sockets and files alike (Linux /proc/PID/io), or -1. */
function ioBytes(pid: number | undefined): number {
  try {
    const io = fs.readFileSync(`/proc/${pid}/io`, 'latin1');
    return Number(/^rchar: (\d+)/m.exec(io)?.[1]) + Number(/^wchar: (\d+)/m.exec(io)?.[1]);
  } catch {
    return -1;
  }
}

/**
 * Run a peer to completion; killed (SIGKILL) after `timeoutMs` (default 60 s). With `idleMs`, a
 * bound by progress instead, for big transfers whose wall time depends on the machine's load: the
 * peer is killed once it has read and written nothing for `idleMs` (a stall), and `timeoutMs`
 * (default then 10 min) is only the outer bound.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; idleMs?: number; input?: Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const p = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let killed: RunResult['killed'];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(
      () => {
        killed = 'timeout';
        p.kill('SIGKILL');
      },
      opts.timeoutMs ?? (opts.idleMs ? 600000 : 60000),
    );
    let seen = -1;
    let movedAt = t0;
    const watch =
      opts.idleMs === undefined
        ? undefined
        : setInterval(() => {
            const now = ioBytes(p.pid);
            if (now !== seen) {
              seen = now;
              movedAt = Date.now();
            } else if (Date.now() - movedAt > opts.idleMs!) {
              killed = 'stalled';
              p.kill('SIGKILL');
            }
          }, 1000);
    const done = () => {
      clearTimeout(timer);
      clearInterval(watch);
    };
    p.on('error', (e) => {
      done();
      reject(e);
    });
    p.on('close', (code, signal) => {
      done();
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err, ms: Date.now() - t0, killed });
    });
    p.stdin.on('error', () => undefined); // a peer that exits before reading its input (EPIPE)
    if (opts.input) p.stdin.end(opts.input);
    else p.stdin.end();
  });
}

/** A long-running peer (a server); `stop()` kills it and waits for it to exit. */
export interface Peer {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Start a server peer and wait until it accepts TCP connections on `port`. */
export async function startPeer(cmd: string, args: string[], port: number, opts: { cwd?: string; timeoutMs?: number } = {}): Promise<Peer> {
  const proc = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout!.on('data', (d) => (text += d));
  proc.stderr!.on('data', (d) => (text += d));
  let exited = false;
  proc.once('exit', () => (exited = true));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
      setTimeout(() => !exited && proc.kill('SIGKILL'), 2000).unref();
    });
  const deadline = Date.now() + (opts.timeoutMs ?? 20000);
  for (;;) {
    if (exited) throw new Error(`${cmd} exited early: ${text}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${cmd} did not listen on ${port}: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, output: () => text, stop };
}

/**
 * Deterministic bytes for body checks: a pseudo-random block of a prime length (65521) repeated,
 * so a lost, duplicated or reordered frame-sized piece changes the hash, and both sides can
 * produce or check any range without storing the body.
 */
const PERIOD = 65521;
const BLOCK = (() => {
  const b = Buffer.alloc(PERIOD * 2);
  let h = crypto.createHash('sha256').update('nghttp2-ts').digest();
  for (let i = 0; i < PERIOD; i += 32) {
    h.copy(b, i, 0, Math.min(32, PERIOD - i));
    h = crypto.createHash('sha256').update(h).digest();
  }
  b.copy(b, PERIOD, 0, PERIOD);
  return b;
})();

/** `length` pattern bytes starting at `offset` of the conceptual body. */
export function patternChunk(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let pos = 0;
  while (pos < length) {
    const start = (offset + pos) % PERIOD;
    const n = Math.min(PERIOD, length - pos);
    BLOCK.copy(out, pos, start, start + n);
    pos += n;
  }
  return out;
}

/** A Readable of `total` pattern bytes, in `chunk`-sized pieces. */
export function patternStream(total: number, chunk = 65536): Readable {
  let off = 0;
  return new Readable({
    read() {
      if (off >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, total - off);
      this.push(patternChunk(off, n));
      off += n;
    },
  });
}

/** The sha256 (hex) of `total` pattern bytes. Cached: computing 64 MiB of pattern is not free. */
const hashCache = new Map<number, string>();
export function patternHash(total: number): string {
  let h = hashCache.get(total);
  if (h) return h;
  const hash = crypto.createHash('sha256');
  for (let off = 0; off < total; off += 1 << 20) hash.update(patternChunk(off, Math.min(1 << 20, total - off)));
  h = hash.digest('hex');
  hashCache.set(total, h);
  return h;
}

/** Hash everything a Readable yields; resolves with { bytes, sha256 }. */
export async function hashStream(r: Readable): Promise<{ bytes: number; sha256: string }> {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  for await (const c of r) {
    hash.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Write `total` pattern bytes to a file (for peers that upload or serve files). */
export async function writePatternFile(file: string, total: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const w = fs.createWriteStream(file);
    patternStream(total, 1 << 20)
      .pipe(w)
      .on('finish', resolve)
      .on('error', reject);
  });
}

/** sha256 hex of a Buffer. */
export const sha256 = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

/** 64 MiB, the body size the interop issue asks for. */
export const BIG = 64 * 1024 * 1024;
