/**
 * bench/session: a minimal 1 KiB responder on our stack (listen() + Http2Connection) and on
 * Node's built-in http2 ('stream' API), each in its own child process, both loaded by Debian's
 * h2load over h2c in one run. Prints req/s and the server's CPU seconds per 100k requests for
 * each, and the ratio (target: ours >= 1.5x Node's).
 *
 * Before/after: BENCH_BASELINE=DIR (another checkout, built: e.g. a `git worktree` of an older
 * commit) adds that tree's responder to the rotation, and first runs the sans-IO core of both
 * trees in this process, alternating: a client and a server Session joined in memory, 10 requests
 * in flight, 1 KiB responses, BENCH_CORE_N requests per run (default 40000), BENCH_CORE_RUNS runs
 * each (default 15); it prints the median µs per request (both Sessions) of each and the ratio.
 *
 *   npm run bench:session                     # h2load -n 200000 -c 10 -m 10 -t 1
 *   BENCH_N=50000 npm run bench:session       # shorter
 *   BENCH_BASELINE=/tmp/old npm run bench:session
 *   node dist/bench/session.js --serve ours   # just the server (prints its port), e.g. for --cpu-prof
 */
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as http2 from 'http2';
import * as path from 'path';
import { C_H2LOAD, H2loadRun, median, repoRoot, runH2load, treeCpuSeconds } from './measure';

const BODY = Buffer.alloc(1024, 'x');

async function serveOurs(): Promise<number> {
  const { listen } = await import('../lib/transport/server');
  const headers: [string, string][] = [
    [':status', '200'],
    ['content-type', 'application/octet-stream'],
    ['content-length', String(BODY.length)],
  ];
  const l = await listen({ host: '127.0.0.1', port: 0, connection: { session: { frameEvents: false } as object } }, (conn) => {
    conn.on('stream', (stream) => {
      stream.respond(headers);
      stream.sendData(BODY, true);
    });
  });
  return l.port;
}

function serveNode(): Promise<number> {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/octet-stream', 'content-length': BODY.length });
    stream.end(BODY);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

/** The Session class of a built tree (its dist/), as this bench drives it. */
interface CoreSession {
  request(headers: [string, string][], opts: { endStream: boolean }): number;
  respond(id: number, headers: [string, string][]): void;
  sendData(id: number, data: Buffer, end: boolean): void;
  consume(id: number, n: number): void;
  receive(b: Buffer): void;
  dataToSend(): Buffer | null;
}
type CoreEvent = { type: string; streamId: number; flowControlledLength: number };
type SessionClass = new (o: {
  role: string;
  frameEvents: boolean;
  onEvent: (ev: CoreEvent) => void;
  onWantWrite: () => void;
}) => CoreSession;

/** µs of CPU per request for `n` requests between two in-memory Sessions of one tree. */
function coreRun(Session: SessionClass, n: number): number {
  const REQ: [string, string][] = [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':authority', '127.0.0.1'],
    [':path', '/'],
  ];
  const RESP: [string, string][] = [
    [':status', '200'],
    ['content-type', 'application/octet-stream'],
    ['content-length', String(BODY.length)],
  ];
  let done = 0;
  let inflight = 0;
  let sent = 0;
  const toRespond: number[] = [];
  const server = new Session({
    role: 'server',
    frameEvents: false,
    onEvent: (ev) => {
      if (ev.type === 'requestReceived') toRespond.push(ev.streamId);
    },
    onWantWrite: () => undefined,
  });
  const client: CoreSession = new Session({
    role: 'client',
    frameEvents: false,
    onEvent: (ev) => {
      if (ev.type === 'dataReceived') client.consume(ev.streamId, ev.flowControlledLength);
      else if (ev.type === 'streamClosed') {
        done++;
        inflight--;
      }
    },
    onWantWrite: () => undefined,
  });
  const t0 = process.cpuUsage();
  while (done < n) {
    while (inflight < 10 && sent < n) {
      client.request(REQ, { endStream: true });
      sent++;
      inflight++;
    }
    let b = client.dataToSend();
    if (b) server.receive(b);
    for (const id of toRespond) {
      server.respond(id, RESP);
      server.sendData(id, BODY, true);
    }
    toRespond.length = 0;
    b = server.dataToSend();
    if (b) client.receive(b);
  }
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / n;
}

/** The sans-IO core of this tree and of `baseline`, alternating in this process. */
function coreBeforeAfter(baseline: string): void {
  const n = Number(process.env.BENCH_CORE_N ?? 40000);
  const runs = Number(process.env.BENCH_CORE_RUNS ?? 15);
  const trees = [
    { name: 'baseline', dir: path.resolve(baseline) },
    { name: 'this tree', dir: repoRoot() },
  ];
  const classes = trees.map((t) => require(path.join(t.dir, 'dist/lib/protocol/session/session.js')).Session as SessionClass);
  for (const c of classes) coreRun(c, n); // warm-up
  const times: number[][] = classes.map(() => []);
  for (let r = 0; r < runs; r++) for (let i = 0; i < classes.length; i++) times[i].push(coreRun(classes[i], n));
  const med = times.map((t) => median(t));
  for (let i = 0; i < trees.length; i++)
    console.log(`core ${trees[i].name.padEnd(10)} ${med[i].toFixed(2)} µs/request (median of ${runs})  ${trees[i].dir}`);
  console.log(`core this tree / baseline: ${(med[1] / med[0]).toFixed(3)}x CPU per request (two Sessions, 1 KiB responses)`);
}

type Which = 'ours' | 'node' | 'base';

async function startChild(
  which: Which,
  extraExecArgv: string[],
): Promise<{ port: number; child: ChildProcess; stop: () => Promise<void> }> {
  const script = which === 'base' ? path.join(path.resolve(process.env.BENCH_BASELINE!), 'dist/bench/session.js') : __filename;
  const child = fork(script, ['--serve', which === 'base' ? 'ours' : which], {
    execArgv: extraExecArgv,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(Number(m)));
    child.once('exit', (code) => reject(new Error(`${which} server exited with ${code}`)));
  });
  return {
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--serve');
  if (i >= 0) {
    const which = process.argv[i + 1];
    const port = which === 'node' ? await serveNode() : await serveOurs();
    if (process.send) {
      process.send(port);
      process.on('message', () => process.exit(0));
    } else {
      console.log(`listening on 127.0.0.1:${port}`);
      // Exit (not die) on a signal so that --cpu-prof writes its profile.
      process.on('SIGINT', () => process.exit(0));
      process.on('SIGTERM', () => process.exit(0));
    }
    return;
  }
  if (!fs.existsSync(C_H2LOAD)) {
    console.error(`${C_H2LOAD} not found: install Debian's nghttp2-client`);
    process.exit(1);
  }
  const n = Number(process.env.BENCH_N ?? 200000);
  const prof = process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
  // Alternate the two servers for a few rounds and keep each one's best: the machine is shared,
  // and the best run is the least disturbed one.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const baseline = process.env.BENCH_BASELINE;
  if (baseline) coreBeforeAfter(baseline);
  const order: Which[] = baseline ? ['node', 'base', 'ours'] : ['node', 'ours'];
  const label: Record<Which, string> = { node: 'node:http2  ', ours: 'nghttp2-ts  ', base: 'baseline    ' };
  const best: Partial<Record<Which, H2loadRun>> = {};
  const cpu: Partial<Record<Which, number>> = {};
  for (let round = 0; round < rounds; round++) {
    for (const which of order) {
      const srv = await startChild(which, which === 'ours' && round === 0 ? prof : []);
      let r: H2loadRun;
      let cpu100k: number;
      try {
        // A short warm-up so both JITs are hot before the measured run.
        const url = `http://127.0.0.1:${srv.port}/`;
        await runH2load(url, Math.min(20000, n));
        const cpu0 = treeCpuSeconds(srv.child.pid!);
        r = await runH2load(url, n);
        cpu100k = ((treeCpuSeconds(srv.child.pid!) - cpu0) * 100000) / n;
      } finally {
        await srv.stop();
      }
      const b = best[which];
      if (!b || r.reqPerSec > b.reqPerSec) best[which] = r;
      cpu[which] = Math.min(cpu[which] ?? Infinity, cpu100k);
      console.log(
        `round ${round + 1} ${label[which]} ${r.reqPerSec.toFixed(0).padStart(8)} req/s  ${cpu100k.toFixed(2)} CPU-s/100k req  (${r.succeeded} succeeded, ${r.failed} failed)`,
      );
    }
  }
  const ours = best.ours!;
  const node = best.node!;
  console.log(
    `best: node:http2 ${node.reqPerSec.toFixed(0)} req/s ${cpu.node!.toFixed(2)} CPU-s/100k, nghttp2-ts ${ours.reqPerSec.toFixed(0)} req/s ${cpu.ours!.toFixed(2)} CPU-s/100k`,
  );
  const ratio = ours.reqPerSec / node.reqPerSec;
  console.log(
    `ratio ours/node: ${ratio.toFixed(2)}x req/s, ${(cpu.node! / cpu.ours!).toFixed(2)}x less CPU per request (target >= 1.5x) — h2load -n ${n} -c 10 -m 10 -t 1, h2c, 1 KiB bodies, best of ${rounds}`,
  );
  const base = best.base;
  if (base) {
    console.log(
      `this tree / baseline: ${(ours.reqPerSec / base.reqPerSec).toFixed(2)}x req/s, ${(cpu.ours! / cpu.base!).toFixed(2)}x CPU per request (baseline ${base.reqPerSec.toFixed(0)} req/s ${cpu.base!.toFixed(2)} CPU-s/100k)`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
