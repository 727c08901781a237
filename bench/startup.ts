/**
 * `npm run bench:startup`: every tool's one-shot run against bare Node's start, in one run.
 * One-shot: `nghttp -n URI` and `h2load -n 1 URI` against Debian's C nghttpd, `deflatehd` and
 * `inflatehd` on a one-case document, and `nghttpd` / `nghttpx` until they print their
 * listening line. Runs are interleaved (bare Node, then each tool, N rounds) so a shared
 * machine's load drifts over all alike; prints the median and the best of each and the
 * difference to bare Node's (target: within 0.08 s). Env: BENCH_ROUNDS (default 15).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { C_NGHTTPD, haveTools, machineLine, median, ours, RUSAGE, startCNghttpd } from './measure';

/** One run: wall seconds, and CPU seconds (user + system; NaN for servers, which are killed). */
interface Run {
  wall: number;
  cpu: number;
}

/**
 * Wall seconds from spawn to exit, or to the first output matching `ready` (then killed). A
 * one-shot run goes under RUSAGE for its CPU seconds too: on a loaded machine the wall time is
 * mostly the scheduler's, the CPU time is the run's own.
 */
function timeRun(argv: string[], opts: { input?: string; ready?: RegExp } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const cpuFile = opts.ready ? undefined : path.join(os.tmpdir(), `bench-startup-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const cmd = cpuFile ? [...RUSAGE, cpuFile, ...argv] : argv;
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const done = () => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      let cpu = Number.NaN;
      if (cpuFile) {
        try {
          const [, u, sys] = fs.readFileSync(cpuFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
          cpu = u + sys;
        } catch {
          // no timing: leave NaN
        }
        fs.rmSync(cpuFile, { force: true });
      }
      resolve({ wall, cpu });
    };
    let seen = '';
    let ended = false;
    const watch = (chunk: Buffer) => {
      if (!opts.ready || ended) return;
      seen += chunk.toString('latin1');
      if (opts.ready.test(seen)) {
        ended = true;
        done();
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (ended) return;
      if (opts.ready) reject(new Error(`${argv.join(' ')} exited (${code}) before it was ready:\n${seen}`));
      else if (code !== 0) reject(new Error(`${argv.join(' ')} exited with ${code}`));
      else done();
    });
    child.stdin.end(opts.input ?? '');
    setTimeout(() => child.kill('SIGKILL'), 30000).unref();
  });
}

async function main(): Promise<void> {
  if (!haveTools(C_NGHTTPD)) return;
  const rounds = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 15));
  const docroot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
  fs.writeFileSync(path.join(docroot, '1k'), Buffer.alloc(1024, 'a'));
  const server = await startCNghttpd(docroot);
  const url = `http://127.0.0.1:${server.port}/1k`;
  const runs: Array<[string, () => Promise<Run>]> = [
    ["node -e ''", () => timeRun([process.execPath, '-e', ''])],
    ['nghttp -n URI', () => timeRun([...ours('nghttp'), '-n', url])],
    ['h2load -n 1 URI', () => timeRun([...ours('h2load'), '-n', '1', url])],
    ['deflatehd (1 case)', () => timeRun(ours('deflatehd'), { input: '{"cases":[{"headers":[{":method":"GET"}]}]}' })],
    ['inflatehd (1 case)', () => timeRun(ours('inflatehd'), { input: '{"cases":[{"wire":"82"}]}' })],
    ['nghttpd: listening', () => timeRun([...ours('nghttpd'), '--no-tls', '-a', '127.0.0.1', '0'], { ready: /listen/ })],
    [
      'nghttpx: listening',
      () =>
        timeRun([...ours('nghttpx'), '--conf=/dev/null', '-f127.0.0.1,0;no-tls', `-b127.0.0.1,${server.port}`], { ready: /Listening on/ }),
    ],
  ];
  const times = new Map<string, Run[]>(runs.map(([name]) => [name, []]));
  try {
    for (const [, run] of runs) await run(); // warm the file cache
    for (let r = 0; r < rounds; r++) for (const [name, run] of runs) times.get(name)!.push(await run());
  } finally {
    server.stop();
    fs.rmSync(docroot, { recursive: true, force: true });
  }
  const bare = times.get("node -e ''")!;
  const bareMed = median(bare.map((r) => r.wall));
  const bareMin = Math.min(...bare.map((r) => r.wall));
  const bareCpu = median(bare.map((r) => r.cpu));
  console.log(`start-up, ${rounds} interleaved rounds; ${machineLine()}\n`);
  console.log(
    `${'run'.padEnd(20)} ${'median s'.padStart(9)} ${'best s'.padStart(8)}  ${'median - node'.padStart(14)} ${'best - node'.padStart(12)}  (target <= 0.080)  ${'CPU s'.padStart(6)} ${'CPU - node'.padStart(10)}`,
  );
  for (const [name] of runs) {
    const t = times.get(name)!;
    const wall = t.map((r) => r.wall);
    const med = median(wall);
    const min = Math.min(...wall);
    const cpu = median(t.map((r) => r.cpu));
    const first = name === runs[0][0];
    const d = first ? ' '.repeat(27) : `${(med - bareMed).toFixed(3).padStart(14)} ${(min - bareMin).toFixed(3).padStart(12)}`;
    const c = Number.isNaN(cpu) ? '' : `${cpu.toFixed(3).padStart(6)} ${first ? '' : (cpu - bareCpu).toFixed(3).padStart(10)}`;
    console.log(`${name.padEnd(20)} ${med.toFixed(3).padStart(9)} ${min.toFixed(3).padStart(8)}  ${d}  ${' '.repeat(17)}  ${c}`);
  }
  console.log('\nCPU: median user + system seconds of the one-shot runs (servers are killed: no CPU figure).');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
