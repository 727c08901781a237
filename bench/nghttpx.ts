/**
 * `npm run bench:nghttpx`: our nghttpx and Debian's C nghttpx side by side in one run, in front of
 * the same backends: an h2c frontend -> an h2 backend (Debian's C nghttpd) and -> an HTTP/1.1
 * backend (a Node `http` server in its own process), 1 KiB answers, load from Debian's h2load
 * (`-t 1 -c 10 -m 10`). Prints req/s, the proxy's CPU-seconds per request (utime+stime of the
 * proxy's process tree from /proc, before and after each run), its RSS and PSS (pages shared between
 * its processes, such as the node binary's, counted once), and the ratios ours/C.
 * Both proxies always get `--conf` of an empty temp file (never /etc/nghttpx/nghttpx.conf).
 * Env: BENCH_N (requests per run, default 100000), BENCH_WARMUP (default 30000; per worker process:
 * `-n N` gets N warm-up runs), BENCH_REPEAT
 * (best of N, default 3), BENCH_WORKERS (a list such as `1,2`: each proxy also run with `-n N`;
 * default `1`), BENCH_ONLY=ours|c, BENCH_BACKENDS=h2|h1 (one backend path only; default both),
 * BENCH_FRONTEND=h1 (load over HTTP/1.1 instead: `h2load --h1 -t 1 -c 100 -m 1`, the HTTP/1.1 frontend path),
 * BENCH_VARY_HEAD=1 (one more HTTP/1.1 backend row: a backend whose every response head differs, an
 * `x-count` field counting its answers, so no proxy can take a head for the one before).
 */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import {
  C_H2LOAD,
  C_NGHTTPD,
  C_NGHTTPX,
  freePort,
  machineLine,
  ours,
  runH2load,
  treeCpuSeconds,
  treePssMB,
  treeRssMB,
  waitPort,
} from './measure';

/**
 * The HTTP/1.1 backend (run in a child: `node bench/nghttpx.js --h1-backend PORT [vary]`): 1 KiB to
 * every GET; with `vary`, each answer's head also carries `x-count` (this answer's number).
 */
function h1Backend(port: number, vary: boolean): void {
  const body = Buffer.alloc(1024, 'a');
  let count = 0;
  http
    .createServer({ keepAliveTimeout: 60000 }, (req, res) => {
      req.resume();
      const fields: http.OutgoingHttpHeaders = { 'content-type': 'application/octet-stream', 'content-length': body.length };
      if (vary) fields['x-count'] = String(++count);
      res.writeHead(200, fields);
      res.end(body);
    })
    .listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
}

/** The row name of the HTTP/1.1 backend whose every head differs (BENCH_VARY_HEAD=1). */
const H1_VARY = 'http/1.1 (x-count)';
/** Every backend row, in print order. */
const BACKEND_NAMES = ['h2 (nghttpd)', 'http/1.1 (node)', H1_VARY];

interface Result {
  reqPerSec: number;
  succeeded: number;
  total: number;
  cpuPerReq: number;
  rss: number;
  pss: number;
}

interface Proxy {
  name: string;
  key: 'ours' | 'c';
  start(port: number, backend: string, conf: string, workers: number): ChildProcess;
}

const PROXIES: Proxy[] = [
  {
    name: 'nghttp2-ts nghttpx',
    key: 'ours',
    start: (port, backend, conf, workers) =>
      // The launcher itself, as a user runs it (its #! line's Node flags count, as in the other benches).
      spawn(
        ours('nghttpx')[0],
        [`--conf=${conf}`, `-f127.0.0.1,${port};no-tls`, `-b${backend}`, `-n${workers}`, '--errorlog-file=/dev/null'],
        { stdio: 'ignore' },
      ),
  },
  {
    name: 'C nghttpx',
    key: 'c',
    start: (port, backend, conf, workers) =>
      spawn(
        C_NGHTTPX,
        [
          `--conf=${conf}`,
          ...(workers === 1 ? ['--single-process'] : []),
          `-f127.0.0.1,${port};no-tls`,
          `-b${backend}`,
          `-n${workers}`,
          '--errorlog-file=/dev/null',
        ],
        { stdio: 'ignore' },
      ),
  },
];

async function main(): Promise<void> {
  if (process.argv[2] === '--h1-backend') return h1Backend(Number(process.argv[3]), process.argv[4] === 'vary');
  for (const f of [C_H2LOAD, C_NGHTTPD, C_NGHTTPX]) {
    if (!fs.existsSync(f)) {
      console.log(`bench:nghttpx needs ${f} (Debian packages nghttp2-client, nghttp2-server, nghttp2-proxy)`);
      return;
    }
  }
  const n = Number(process.env.BENCH_N ?? 100000);
  const warmup = Number(process.env.BENCH_WARMUP ?? 30000);
  const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
  const workerCounts = (process.env.BENCH_WORKERS ?? '1')
    .split(',')
    .map(Number)
    .filter((x) => x >= 1);
  const only = process.env.BENCH_ONLY;
  const proxies = PROXIES.filter((p) => !only || only === p.key);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nghttpx-'));
  const conf = path.join(tmp, 'nghttpx.conf');
  fs.writeFileSync(conf, '# empty: the bench passes everything on the command line\n');
  fs.writeFileSync(path.join(tmp, '1k'), Buffer.alloc(1024, 'a'));
  const children: ChildProcess[] = [];
  const results = new Map<string, Result>();
  const h1Frontend = process.env.BENCH_FRONTEND === 'h1';
  const load = h1Frontend ? ['--h1', '-t', '1', '-c', '100', '-m', '1'] : ['-t', '1', '-c', '10', '-m', '10'];
  console.log(
    `h2load ${load.join(' ')} -n ${n} through each proxy (${h1Frontend ? 'HTTP/1.1' : 'h2c'} frontend), best of ${repeat} after ${warmup} warm-up requests per process; ${machineLine()}`,
  );
  try {
    const h2Port = await freePort();
    children.push(spawn(C_NGHTTPD, ['--no-tls', '-a', '127.0.0.1', '-d', tmp, String(h2Port)], { stdio: 'ignore' }));
    const h1Port = await freePort();
    children.push(spawn(process.execPath, [__filename, '--h1-backend', String(h1Port)], { stdio: 'ignore' }));
    const varyHead = process.env.BENCH_VARY_HEAD === '1';
    const h1VaryPort = varyHead ? await freePort() : 0;
    if (varyHead) children.push(spawn(process.execPath, [__filename, '--h1-backend', String(h1VaryPort), 'vary'], { stdio: 'ignore' }));
    await waitPort(h2Port);
    await waitPort(h1Port);
    if (varyHead) await waitPort(h1VaryPort);
    const onlyBackend = process.env.BENCH_BACKENDS;
    const backends = (
      [
        ['h2', 'h2 (nghttpd)', `127.0.0.1,${h2Port};;proto=h2`],
        ['h1', 'http/1.1 (node)', `127.0.0.1,${h1Port}`],
        ...(varyHead ? ([['h1', H1_VARY, `127.0.0.1,${h1VaryPort}`]] as const) : []),
      ] as const
    )
      .filter(([key]) => !onlyBackend || onlyBackend === key)
      .map(([, name, addr]) => [name, addr] as [string, string]);
    for (const workers of workerCounts) {
      for (const [bname, backend] of backends) {
        const running: { p: Proxy; child: ChildProcess; url: string }[] = [];
        try {
          for (const p of proxies) {
            const port = await freePort();
            const child = p.start(port, backend, conf, workers);
            children.push(child);
            running.push({ p, child, url: `http://127.0.0.1:${port}/1k` });
            await waitPort(port);
          }
          // Warm-up per process: every worker of -nN gets BENCH_WARMUP requests, as the -n1 process
          // does (each V8 process compiles its own code; one run of BENCH_WARMUP split N ways left
          // -n2's workers compiling through both measured rounds: 89 and 42 TurboFan compiles
          // against 21 and 3 at -n1, then 1-2 per round once each worker had had as many).
          for (const r of running) for (let i = 0; i < workers; i++) await runH2load(r.url, warmup, load);
          for (let round = 0; round < repeat; round++) {
            for (const r of running) {
              const before = treeCpuSeconds(r.child.pid!);
              const got = await runH2load(r.url, n, load);
              const cpu = treeCpuSeconds(r.child.pid!) - before;
              const res: Result = {
                reqPerSec: got.reqPerSec,
                succeeded: got.succeeded,
                total: got.total,
                cpuPerReq: cpu / Math.max(1, got.succeeded),
                rss: treeRssMB(r.child.pid!),
                pss: treePssMB(r.child.pid!),
              };
              const key = `${r.p.key}/${bname}/${workers}`;
              const best = results.get(key);
              // Best of the rounds by req/s; CPU per request from the same run.
              if (!best || res.reqPerSec > best.reqPerSec) results.set(key, res);
            }
          }
          for (const r of running) {
            const res = results.get(`${r.p.key}/${bname}/${workers}`)!;
            const bad = res.succeeded < res.total ? `  (only ${res.succeeded}/${res.total} succeeded)` : '';
            console.log(
              `${r.p.name.padEnd(19)} -n${workers} -> ${bname.padEnd(16)} ${res.reqPerSec.toFixed(0).padStart(7)} req/s  ${(res.cpuPerReq * 1e6).toFixed(1).padStart(6)} us CPU/req  RSS ${res.rss.toFixed(1).padStart(6)} MB (PSS ${res.pss.toFixed(1).padStart(6)})${bad}`,
            );
          }
        } finally {
          for (const r of running) r.child.kill('SIGKILL');
        }
      }
    }
  } finally {
    for (const c of children) c.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log('\nratios (ours / C nghttpx):');
  for (const workers of workerCounts) {
    for (const bname of BACKEND_NAMES) {
      const o = results.get(`ours/${bname}/${workers}`);
      const c = results.get(`c/${bname}/${workers}`);
      if (!o || !c) continue;
      console.log(
        `  -n${workers} -> ${bname.padEnd(16)} req/s ${(o.reqPerSec / c.reqPerSec).toFixed(2)}x (target >= 0.8)   CPU/req ${(o.cpuPerReq / c.cpuPerReq).toFixed(2)}x (target <= 1.5)   RSS ${(o.rss / c.rss).toFixed(1)}x (PSS ${(o.pss / c.pss).toFixed(1)}x)`,
      );
    }
  }
  if (workerCounts.length > 1) {
    console.log('\nscaling (req/s at -nN / -n1):');
    for (const p of proxies) {
      for (const bname of BACKEND_NAMES) {
        const one = results.get(`${p.key}/${bname}/1`);
        if (!one) continue;
        const parts = workerCounts
          .filter((w) => w > 1)
          .map((w) => `-n${w} ${((results.get(`${p.key}/${bname}/${w}`)?.reqPerSec ?? 0) / one.reqPerSec).toFixed(2)}x`);
        console.log(`  ${p.name.padEnd(19)} -> ${bname.padEnd(16)} ${parts.join('  ')}`);
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
