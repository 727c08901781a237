/**
 * `npm run bench:nghttpd`: our nghttpd, Debian's C nghttpd and a Node `http2` static server, each
 * loaded by Debian's h2load (`-t 1 -c 10 -m 10`) on 1 KiB and 100 KiB files over h2c and TLS, in
 * one run; prints req/s, MB/s and the server's CPU seconds per 100k requests (user + system of the
 * server process, from /proc; the user-mode part in brackets), then the memory an idle h2c
 * connection costs each server (RSS growth over BENCH_IDLE connections that did the HTTP/2
 * handshake and stay open), and the ratios against the targets. Each server runs in its own
 * process. Env: BENCH_N1K / BENCH_N100K (requests per run; default 200000 and 20000, the issue's
 * -n for 1 KiB), BENCH_WARMUP (requests per server before measuring, default 50000: V8's JIT keeps
 * getting faster for the first ~60k requests, and a short warm-up measured the compiler, not the
 * server), BENCH_REPEAT (best of N, default 3), BENCH_ONLY=ours|c|node (one server, or a list:
 * ours,c; the baseline always runs), BENCH_IDLE (idle connections, default 1000; 0 skips),
 * BENCH_TLS=0 (h2c only), BENCH_BASELINE=DIR (another built checkout of this project, e.g. an
 * older commit: its bin/nghttpd joins the rotation as `baseline`, and the CPU ratio ours /
 * baseline is printed: a before/after in one run).
 */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http2 from 'http2';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { C_H2LOAD, C_NGHTTPD, freePort, H2loadRun, machineLine, repoRoot, runH2load, treeCpuSplit, treeRssMB, waitPort } from './measure';

const ROOT = repoRoot();
const KEY = path.join(ROOT, 'spec/fixtures/server.key');
const CERT = path.join(ROOT, 'spec/fixtures/server.crt');

/** The Node http2 reference server (run in a child: `node bench/nghttpd.js --node-server PORT DOCROOT tls|h2c`). */
function nodeServer(port: number, docroot: string, secure: boolean): void {
  const onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const p = path.join(docroot, path.normalize(String(headers[':path'] ?? '/')).replace(/^(\.\.[/\\])+/, ''));
    stream.respondWithFile(
      p,
      { 'content-type': 'application/octet-stream' },
      {
        onError: () => {
          if (!stream.headersSent) stream.respond({ ':status': 404 });
          stream.end();
        },
      },
    );
  };
  const server = secure ? http2.createSecureServer({ key: fs.readFileSync(KEY), cert: fs.readFileSync(CERT) }) : http2.createServer();
  server.on('stream', onStream);
  server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
}

/** The client connection preface (RFC 9113 section 3.4) + an empty SETTINGS frame. */
const PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);
/** SETTINGS with the ACK flag. */
const SETTINGS_ACK = Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0]);

/**
 * Open `n` h2c connections to 127.0.0.1:port that do the HTTP/2 handshake (preface, SETTINGS, ACK
 * of the server's SETTINGS, server's ACK of ours read) and then stay idle. Resolves with the
 * sockets once every handshake is done.
 */
async function openIdle(port: number, n: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const one = () =>
    new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      let buf = Buffer.alloc(0);
      let acked = false;
      let gotSettings = false;
      s.on('error', reject);
      s.on('connect', () => s.write(PREFACE));
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 9) {
          const len = buf.readUIntBE(0, 3);
          if (buf.length < 9 + len) break;
          if (buf[3] === 4 && (buf[4] & 1) === 0) {
            gotSettings = true;
            s.write(SETTINGS_ACK);
          } else if (buf[3] === 4) acked = true;
          buf = buf.subarray(9 + len);
        }
        if (acked && gotSettings) {
          s.removeAllListeners('data');
          s.on('data', () => undefined);
          resolve(s);
        }
      });
    });
  // A few at a time: a listen backlog is not a queue to fill at once.
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, one));
    sockets.push(...batch);
  }
  return sockets;
}

/** RSS growth per idle connection (KiB) of the server `pid` on `port`, over `n` connections. */
async function idleConnectionKiB(pid: number, port: number, n: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 300));
  const before = treeRssMB(pid);
  const sockets = await openIdle(port, n);
  // Let the server finish whatever it does after the handshake (timers, lazy frees).
  await new Promise((r) => setTimeout(r, 500));
  const after = treeRssMB(pid);
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 300));
  return ((after - before) * 1024) / n;
}

interface Server {
  name: string;
  key: 'ours' | 'c' | 'node' | 'base';
  start(port: number, docroot: string, secure: boolean): ChildProcess;
}

/** Our nghttpd of the checkout at `root`, as a server of the rotation. */
function oursAt(root: string, name: string, key: Server['key']): Server {
  return {
    name,
    key,
    start: (port, docroot, secure) =>
      spawn(
        process.execPath,
        [
          path.join(root, 'bin/nghttpd'),
          '-a',
          '127.0.0.1',
          '-d',
          docroot,
          ...(secure ? [String(port), KEY, CERT] : ['--no-tls', String(port)]),
        ],
        { stdio: 'ignore' },
      ),
  };
}

const BASELINE = process.env.BENCH_BASELINE;

const SERVERS: Server[] = [
  oursAt(ROOT, 'nghttp2-ts nghttpd', 'ours'),
  ...(BASELINE ? [oursAt(path.resolve(BASELINE), 'baseline nghttpd', 'base')] : []),
  {
    name: 'C nghttpd 1.52',
    key: 'c',
    start: (port, docroot, secure) =>
      spawn(C_NGHTTPD, ['-a', '127.0.0.1', '-d', docroot, ...(secure ? [String(port), KEY, CERT] : ['--no-tls', String(port)])], {
        stdio: 'ignore',
      }),
  },
  {
    name: 'Node http2',
    key: 'node',
    start: (port, docroot, secure) =>
      spawn(process.execPath, [__filename, '--node-server', String(port), docroot, secure ? 'tls' : 'h2c'], { stdio: 'ignore' }),
  },
];

async function main(): Promise<void> {
  if (process.argv[2] === '--node-server') {
    nodeServer(Number(process.argv[3]), process.argv[4], process.argv[5] === 'tls');
    return;
  }
  if (!fs.existsSync(C_H2LOAD)) {
    console.log('bench:nghttpd needs /usr/bin/h2load (Debian package nghttp2-client)');
    return;
  }
  const docroot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nghttpd-'));
  fs.writeFileSync(path.join(docroot, '1k'), Buffer.alloc(1024, 'a'));
  fs.writeFileSync(path.join(docroot, '100k'), Buffer.alloc(100 * 1024, 'b'));
  const n1k = Number(process.env.BENCH_N1K ?? 200000);
  const n100k = Number(process.env.BENCH_N100K ?? 20000);
  const warmup = Number(process.env.BENCH_WARMUP ?? 50000);
  const only = process.env.BENCH_ONLY;
  const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
  const servers = SERVERS.filter(
    (s) => (s.key !== 'c' || fs.existsSync(C_NGHTTPD)) && (!only || s.key === 'base' || only.split(',').includes(s.key)),
  );
  const results = new Map<string, H2loadRun>();
  const incomplete = new Map<string, H2loadRun>();
  const cpuBest = new Map<string, number>();
  /** The user-mode part of each cpuBest run (the rest is the kernel's: socket and file calls). */
  const userOfBest = new Map<string, number>();
  const idleKiB = new Map<string, number>();
  const nIdle = Number(process.env.BENCH_IDLE ?? 1000);
  const protocols = process.env.BENCH_TLS === '0' ? [false] : [false, true];
  console.log(`h2load -t 1 -c 10 -m 10; ${n1k} requests for 1k, ${n100k} for 100k, best of ${REPEAT}; ${machineLine()}`);
  for (const secure of protocols) {
    // All servers up at once (idle ones cost nothing), measured in rotation, so that the load
    // of a shared machine drifts over all of them alike; the best of REPEAT rounds is kept.
    const running: Array<{ srv: Server; base: string; port: number; child: ChildProcess }> = [];
    try {
      for (const srv of servers) {
        const port = await freePort();
        const child = srv.start(port, docroot, secure);
        running.push({ srv, base: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`, port, child });
        await waitPort(port);
      }
      for (const r of running) await runH2load(`${r.base}/1k`, warmup); // warm-up (JIT, file cache)
      for (const [file, n] of [
        ['1k', n1k],
        ['100k', n100k],
      ] as const) {
        for (let round = 0; round < REPEAT; round++) {
          for (const r of running) {
            const cpu0 = treeCpuSplit(r.child.pid!);
            const got = await runH2load(`${r.base}/${file}`, n);
            const cpu1 = treeCpuSplit(r.child.pid!);
            const user100k = ((cpu1.user - cpu0.user) * 100000) / n;
            const cpu100k = user100k + ((cpu1.system - cpu0.system) * 100000) / n;
            const key = `${r.srv.key}/${secure ? 'tls' : 'h2c'}/${file}`;
            if (got.succeeded < got.total) incomplete.set(key, got);
            const best = results.get(key);
            if (!best || got.reqPerSec > best.reqPerSec) results.set(key, got);
            // CPU per request: the least disturbed run too (the fewest CPU seconds).
            if (cpu100k < (cpuBest.get(key) ?? Infinity)) {
              cpuBest.set(key, cpu100k);
              userOfBest.set(key, user100k);
            }
          }
        }
        for (const r of running) {
          const key = `${r.srv.key}/${secure ? 'tls' : 'h2c'}/${file}`;
          const res = results.get(key)!;
          const bad = incomplete.get(key);
          const ok = bad ? `  (a run had only ${bad.succeeded}/${bad.total} succeeded)` : '';
          console.log(
            `${r.srv.name.padEnd(20)} ${(secure ? 'TLS' : 'h2c').padEnd(4)} ${file.padEnd(5)} ${res.reqPerSec.toFixed(0).padStart(8)} req/s ${res.mbPerSec.toFixed(1).padStart(8)} MB/s ${cpuBest.get(key)!.toFixed(3).padStart(7)} CPU-s/100k req (user ${userOfBest.get(key)!.toFixed(3)})${ok}`,
          );
        }
      }
      if (!secure && nIdle > 0) {
        // Idle connections, on servers already warm (their heaps and pools have grown).
        for (const r of running) {
          const kib = await idleConnectionKiB(r.child.pid!, r.port, nIdle);
          idleKiB.set(r.srv.key, kib);
          console.log(
            `${r.srv.name.padEnd(20)} h2c  idle  ${kib.toFixed(1).padStart(8)} KiB RSS per idle connection (${nIdle} connections)`,
          );
        }
      }
    } finally {
      for (const r of running) r.child.kill('SIGKILL');
    }
  }
  console.log('\nratios (ours / other, req/s):');
  for (const proto of ['h2c', 'tls']) {
    for (const file of ['1k', '100k']) {
      const o = results.get(`ours/${proto}/${file}`);
      if (!o) continue;
      const c = results.get(`c/${proto}/${file}`);
      const nd = results.get(`node/${proto}/${file}`);
      const parts = [`${proto.padEnd(4)} ${file.padEnd(5)}`];
      if (nd)
        parts.push(`vs Node http2 ${(o.reqPerSec / nd.reqPerSec).toFixed(2)}x${proto === 'h2c' && file === '1k' ? ' (target >= 2)' : ''}`);
      if (c)
        parts.push(
          `vs C nghttpd ${(o.reqPerSec / c.reqPerSec).toFixed(2)}x${proto === 'h2c' ? (file === '1k' ? ' (target >= 0.5)' : ' (target >= 0.8)') : ''}`,
        );
      console.log('  ' + parts.join('   '));
    }
  }
  console.log('ratios (ours / C nghttpd, CPU-s per request; idle connection memory):');
  for (const proto of ['h2c', 'tls']) {
    for (const file of ['1k', '100k']) {
      const o = cpuBest.get(`ours/${proto}/${file}`);
      const c = cpuBest.get(`c/${proto}/${file}`);
      if (o === undefined || c === undefined) continue;
      const target = proto === 'h2c' && file === '1k' ? ' (target <= 1.1)' : '';
      console.log(`  ${proto.padEnd(4)} ${file.padEnd(5)} CPU ${(o / c).toFixed(2)}x${target}`);
    }
  }
  const oi = idleKiB.get('ours');
  const ci = idleKiB.get('c');
  if (oi !== undefined && ci !== undefined) console.log(`  idle connection memory ${(oi / ci).toFixed(2)}x (target <= 1.5)`);
  if (BASELINE) {
    console.log(`ratios (ours / baseline ${BASELINE}, CPU-s per request):`);
    for (const proto of ['h2c', 'tls']) {
      for (const file of ['1k', '100k']) {
        const o = cpuBest.get(`ours/${proto}/${file}`);
        const b = cpuBest.get(`base/${proto}/${file}`);
        if (o !== undefined && b !== undefined) console.log(`  ${proto.padEnd(4)} ${file.padEnd(5)} CPU ${(o / b).toFixed(3)}x`);
      }
    }
  }
  fs.rmSync(docroot, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
