/** Helpers for the nghttpx specs: repo root, free ports, backends and clients the tests own. */
import { ChildProcess, execFile, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as http2 from 'http2';
import * as net from 'net';
import * as path from 'path';
import * as tls from 'tls';
import { repoRoot } from '../../helpers/repo';
import { freePort, waitForPort } from '../../helpers/net';
import { withSpawnSlot } from '../../helpers/spawn-slots';
export { freePort, waitForPort };

export const ROOT = repoRoot();
export const FIXTURES = path.join(ROOT, 'spec', 'fixtures');
export const OUR_NGHTTPX = path.join(ROOT, 'bin', 'nghttpx');
export const HAS = {
  nghttpd: fs.existsSync('/usr/sbin/nghttpd'),
  nghttp: fs.existsSync('/usr/bin/nghttp'),
  curl: fs.existsSync('/usr/bin/curl'),
};

/** Children the specs started: killed when the worker exits, even after a crash skipped the hooks. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Remember a child so that it never outlives the spec run. */
export function own(proc: ChildProcess): ChildProcess {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

/** Stop a child: SIGTERM, SIGKILL after 3 s; resolves when it exited. */
export function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill(signal);
  });
}

/** How long a spawned server may take to accept once it holds a start slot (a bound against hangs, not a speed check). */
const START_MS = 60000;

/**
 * Spawn a server the spec owns (Debian's nghttpx or nghttpd, or ours) and resolve once it accepts
 * on every one of `ports`. The start-up holds a spawn slot (spec/helpers/spawn-slots.ts) until
 * then, so a file's concurrent tests start a few servers at a time: eight of our nghttpx started
 * together at load 13 took 23-25 s each to listen (alone, 2-3 s), past the 20 s the oracle specs
 * allowed. Rejects at once, naming `name`, when the server exits before listening (with its exit
 * status and the end of its stderr), and after 60 s in its slot (still running: said so).
 * `opts.onStdout` reads the server's standard output from its first byte (say, nghttpd -v's frame
 * trace); without it, stdout goes nowhere. `opts.onStderr` reads its standard error the same way
 * (say, the warnings a server logs before it listens).
 */
export function spawnServer(
  name: string,
  file: string,
  args: string[],
  ports: number[],
  opts: { onStdout?: (text: string) => void; onStderr?: (text: string) => void } = {},
): Promise<ChildProcess> {
  const { onStdout, onStderr } = opts;
  return withSpawnSlot(async () => {
    const proc = own(spawn(file, args, { stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'] }));
    if (onStdout) proc.stdout!.setEncoding('utf8').on('data', onStdout);
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-1500);
      onStderr?.(d.toString());
    });
    const stderrClosed = new Promise<void>((r) => proc.stderr!.once('close', r));
    const exited = () => proc.exitCode !== null || proc.signalCode !== null;
    const deadline = Date.now() + START_MS;
    try {
      for (const port of ports) {
        await waitForPort(port, Math.max(0, deadline - Date.now()), () => (exited() ? 'the server exited' : undefined));
      }
      return proc;
    } catch (e) {
      const died = exited();
      await stopProcess(proc);
      await stderrClosed;
      const state = died ? `exited (${proc.exitCode ?? proc.signalCode}) before listening` : 'still running, not listening: stopped';
      throw new Error(`${(e as Error).message}; ${name} (pid ${proc.pid}) ${state}; its stderr: ${stderr.trim() || '(empty)'}`);
    }
  });
}

/** Which nghttpx a side-by-side spec runs: Debian's (the reference) or ours. */
export type Nghttpx = 'reference' | 'ours';

/** Start Debian's nghttpx or ours with `args` through {@link spawnServer} (resolves once it accepts on `ports`). */
export function spawnNghttpx(who: Nghttpx, args: string[], ports: number[]): Promise<ChildProcess> {
  return who === 'reference'
    ? spawnServer('Debian nghttpx', '/usr/sbin/nghttpx', args, ports)
    : spawnServer('our nghttpx', process.execPath, [OUR_NGHTTPX, ...args], ports);
}

/** Debian's nghttpd serving `dir` over cleartext h2 (an h2 backend), with an `x-trailer` trailer on every answer. */
export async function startNghttpd(dir: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = await spawnServer(
    'Debian nghttpd',
    '/usr/sbin/nghttpd',
    ['--no-tls', '--trailer=x-trailer: from-nghttpd', '-d', dir, String(port)],
    [port],
  );
  return { port, stop: () => stopProcess(proc) };
}

/** What the Node HTTP/1.1 backend saw of one request. */
export interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  bodyLength: number;
  sha256: string;
}

/**
 * A Node `http` backend: answers each request with JSON of what it saw (method, url, raw headers,
 * body length and sha256), after `delayMs` when the path starts with /slow. GET /bytes/N answers
 * N pseudo-random bytes with their sha256 in x-sha256; GET /die sends half its body and drops.
 */
export async function startEchoBackend(): Promise<{ port: number; seen: Seen[]; answered: string[]; stop(): Promise<void> }> {
  const seen: Seen[] = [];
  /** The urls of the JSON answers sent (or attempted, for a /slow request whose client left), in order. */
  const answered: string[] = [];
  const server = http.createServer((req, res) => {
    const h = crypto.createHash('sha256');
    let n = 0;
    req.on('data', (d: Buffer) => {
      n += d.length;
      h.update(d);
    });
    req.on('end', () => {
      const s: Seen = { method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, bodyLength: n, sha256: h.digest('hex') };
      seen.push(s);
      if (req.url === '/trailers') {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        res.write('body');
        res.addTrailers({ 'x-checksum': 'abc' });
        res.end();
        return;
      }
      if (req.url === '/die') {
        // Half of the promised body, then the connection drops.
        res.writeHead(200, { 'content-length': '100000' });
        res.write(Buffer.alloc(50000));
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      const m = /^\/bytes\/(\d+)$/.exec(req.url!);
      if (m) {
        const body = crypto.randomBytes(Number(m[1]));
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'x-sha256': crypto.createHash('sha256').update(body).digest('hex'),
          server: 'echo-backend',
        });
        res.end(body);
        return;
      }
      const send = () => {
        answered.push(req.url!);
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-body-length': String(n),
          'x-sha256': s.sha256,
          server: 'echo-backend',
        });
        res.end(JSON.stringify(s));
      };
      if (req.url!.startsWith('/slow')) setTimeout(send, 600);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    answered,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** An HTTP/1.1 backend on a free loopback port running `handler`; `stop()` drops its connections. */
export async function listenHttp(handler: http.RequestListener): Promise<{ port: number; stop(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * A raw TCP backend on a free loopback port: `onSocket` gets each connection (its 'error' already
 * ignored); `stop()` destroys the connections still open, then closes the server.
 */
export async function listenTcp(onSocket: (s: net.Socket) => void): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * Run a client binary; resolves with its exit code and output. Bounded by a 60 s kill (against
 * hangs, not a speed check), whose timer starts once the run has a spawn slot
 * (spec/helpers/spawn-slots.ts: a file's concurrent tests start a few clients at a time).
 */
export function runClient(
  cmd: string,
  args: string[],
  opts: { encoding?: 'buffer' } = {},
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return withSpawnSlot(() => runClientNow(cmd, args, opts));
}

function runClientNow(
  cmd: string,
  args: string[],
  opts: { encoding?: 'buffer' },
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60000, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: stdout as Buffer, stderr: (stderr as Buffer).toString() });
    });
    void opts;
  });
}

/** Header value (case-insensitive) from Node raw header pairs. */
export function rawHeader(raw: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i].toLowerCase() === name) return raw[i + 1];
  return undefined;
}

export const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/**
 * One GET of `p` with Host / `:authority` `host` over a TLS connection that `connect` makes; the
 * ALPN it offers (`alpn`) decides HTTP/1.1 or h2 (certificates are not checked). Resolves with
 * `<status> <body>`, or `error <message>`; bounded at 10 s.
 */
export function getOverTls(connect: () => tls.TLSSocket, alpn: 'h2' | 'http/1.1', p: string, host: string): Promise<string> {
  return new Promise((resolve) => {
    if (alpn === 'http/1.1') {
      const s = connect();
      let text = '';
      const timer = setTimeout(() => s.destroy(new Error('no answer in 10 s')), 10000);
      s.on('secureConnect', () => s.write(`GET ${p} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.on('close', () => {
        clearTimeout(timer);
        const [head, body] = text.split('\r\n\r\n');
        resolve(`${head.split(' ')[1]} ${body ?? ''}`);
      });
      s.on('error', (e) => resolve(`error ${e.message}`));
      return;
    }
    const c = http2.connect(`https://${host}`, { createConnection: connect });
    const timer = setTimeout(() => c.destroy(new Error('no answer in 10 s')), 10000);
    const finish = (r: string) => {
      clearTimeout(timer);
      c.close();
      resolve(r);
    };
    c.on('error', (e) => finish(`error ${e.message}`));
    const req = c.request({ ':path': p, ':authority': host });
    let status = '';
    let body = '';
    req.on('response', (h) => (status = String(h[':status'])));
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => finish(`${status} ${body}`));
    req.on('error', (e) => finish(`error ${e.message}`));
    req.end();
  });
}
