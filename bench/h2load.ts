/**
 * `npm run bench:h2load`: our h2load and Debian's C h2load against the same C nghttpd (h2c,
 * 1 KiB), alternating in one run, at `-c 10 -m 10` and `-c 100 -m 1`: client CPU seconds
 * (user + system, start-up included) per 100k requests, peak RSS, req/s, and the ratios
 * (targets: CPU <= 1.5x the C tool's, RSS <= 50 MB), and where our peak RSS lies (the node
 * binary's code and read-only pages, malloc's heap, anonymous maps: V8's heap and ArrayBuffer
 * data, shared libraries), sampled from /proc/PID/smaps. Env: BENCH_N (default 200000),
 * BENCH_REPEAT (best of N rounds, default 2).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { C_H2LOAD, C_NGHTTPD, haveTools, machineLine, Measured, measure, ours, rssByMapping, startCNghttpd } from './measure';

/**
 * Measure `argv` while sampling its resident pages by kind of mapping every 200 ms: the sample
 * with the largest total is where the peak RSS comes from.
 */
async function measureSampled(argv: string[]): Promise<{ m: Measured; peak: Record<string, number> }> {
  let peak: Record<string, number> = {};
  let peakTotal = 0;
  let timer: NodeJS.Timeout | undefined;
  const sample = (pid: number) => {
    const b = rssByMapping(pid);
    if (!b) return;
    const total = Object.values(b).reduce((x, y) => x + y, 0);
    if (total > peakTotal) {
      peakTotal = total;
      peak = b;
    }
  };
  try {
    const m = await measure(argv, { onSpawn: (pid) => (timer = setInterval(() => sample(pid), 200)) });
    return { m, peak };
  } finally {
    if (timer) clearInterval(timer);
  }
}

/** `node code 20.6 + node rodata 14.8 + ...` (MB), largest first. */
function breakdownLine(b: Record<string, number>): string {
  return Object.entries(b)
    .filter(([, mb]) => mb >= 0.05)
    .sort((x, y) => y[1] - x[1])
    .map(([k, mb]) => `${k} ${mb.toFixed(1)}`)
    .join(' + ');
}

function reqPerSec(m: Measured): number {
  const r = /finished in [^,]+, ([\d.]+) req\/s/.exec(m.stdout);
  const ok = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded/.exec(m.stdout);
  if (!r || !ok || ok[1] !== ok[2]) throw new Error(`h2load run incomplete:\n${m.stdout}`);
  return Number(r[1]);
}

async function main(): Promise<void> {
  if (!haveTools(C_H2LOAD, C_NGHTTPD)) return;
  const n = Number(process.env.BENCH_N ?? 200000);
  const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 2));
  const docroot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-h2load-'));
  fs.writeFileSync(path.join(docroot, '1k'), Buffer.alloc(1024, 'a'));
  const server = await startCNghttpd(docroot);
  const url = `http://127.0.0.1:${server.port}/1k`;
  console.log(`h2load vs C h2load, ${n} requests of 1 KiB from C nghttpd (h2c), best of ${repeat}; ${machineLine()}\n`);
  console.log(`${'shape'.padEnd(14)} ${'tool'.padEnd(6)} ${'CPU-s/100k'.padStart(10)} ${'RSS MB'.padStart(7)} ${'req/s'.padStart(9)}`);
  const ratios: string[] = [];
  try {
    for (const shape of [
      ['-c', '10', '-m', '10'],
      ['-c', '100', '-m', '1'],
    ]) {
      const args = ['-t', '1', '-n', String(n), ...shape, url];
      const best = { ours: { cpu: Infinity, rss: 0, rps: 0 }, c: { cpu: Infinity, rss: 0, rps: 0 } };
      /** Ours: the breakdown of the run with the highest peak RSS. */
      let oursPeak = { rss: 0, by: {} as Record<string, number> };
      for (let r = 0; r < repeat; r++) {
        for (const [key, argv] of [
          ['c', [C_H2LOAD, ...args]],
          ['ours', [...ours('h2load'), ...args]],
        ] as const) {
          const { m, peak } = key === 'ours' ? await measureSampled([...argv]) : { m: await measure([...argv]), peak: {} };
          if (key === 'ours' && m.rssMB > oursPeak.rss) oursPeak = { rss: m.rssMB, by: peak };
          const b = best[key];
          const cpu = (m.cpu * 100000) / n;
          if (cpu < b.cpu) Object.assign(b, { cpu, rss: m.rssMB, rps: reqPerSec(m) });
        }
      }
      for (const key of ['c', 'ours'] as const) {
        const b = best[key];
        console.log(
          `${shape.join(' ').padEnd(14)} ${key.padEnd(6)} ${b.cpu.toFixed(3).padStart(10)} ${b.rss.toFixed(1).padStart(7)} ${b.rps.toFixed(0).padStart(9)}`,
        );
      }
      ratios.push(
        `${shape.join(' ')}: CPU ours/C ${(best.ours.cpu / best.c.cpu).toFixed(2)}x (target <= 1.5), RSS ${best.ours.rss.toFixed(1)} MB (target <= 50)`,
      );
      ratios.push(`  ours at its peak (${oursPeak.rss.toFixed(1)} MB), resident MB by mapping: ${breakdownLine(oursPeak.by)}`);
    }
  } finally {
    server.stop();
    fs.rmSync(docroot, { recursive: true, force: true });
  }
  console.log(`\n${ratios.join('\n')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
