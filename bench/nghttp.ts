/**
 * `npm run bench:nghttp`: our nghttp and Debian's C nghttp against the same C nghttpd (h2c), in
 * one run: `-n -m N` for N = 5000, 20000, 40000 (CPU seconds, user + system; ours should grow
 * linearly in N and stay within 3x the C tool at 20000), and one 200 MB download (its transfer
 * time from `-s`, request sent to response end; target within 1.5x). Env: BENCH_BIG_MB (default 200), BENCH_REPEAT (default 2).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { C_NGHTTP, C_NGHTTPD, haveTools, machineLine, measure, ours, startCNghttpd } from './measure';

/** Seconds of a `-s` duration ("737.06ms", "1.32s", "369us"). */
function seconds(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) return Number.NaN;
  return Number(m[1]) / (m[2] === 'us' ? 1e6 : m[2] === 'ms' ? 1e3 : 1);
}

/** The `process` column (request start to response end) of the last `-s` row. */
function transferSeconds(stdout: string): number {
  const rows = stdout.trim().split('\n');
  const cols = rows[rows.length - 1].trim().split(/\s+/);
  return cols.length >= 7 ? seconds(cols[3]) : Number.NaN;
}

async function best(argv: string[], repeat: number): Promise<{ cpu: number; wall: number; rss: number; transfer: number }> {
  let b = { cpu: Infinity, wall: Infinity, rss: 0, transfer: Infinity };
  for (let r = 0; r < repeat; r++) {
    const m = await measure(argv);
    if (m.code !== 0) throw new Error(`${argv.join(' ')} exited with ${m.code}`);
    b.transfer = Math.min(b.transfer, transferSeconds(m.stdout));
    if (m.cpu < b.cpu) b = { cpu: m.cpu, wall: Math.min(b.wall, m.wall), rss: m.rssMB, transfer: b.transfer };
    else b.wall = Math.min(b.wall, m.wall);
  }
  return b;
}

async function main(): Promise<void> {
  if (!haveTools(C_NGHTTP, C_NGHTTPD)) return;
  const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 2));
  const bigMb = Number(process.env.BENCH_BIG_MB ?? 200);
  const docroot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nghttp-'));
  fs.writeFileSync(path.join(docroot, '1k'), Buffer.alloc(1024, 'a'));
  const big = path.join(docroot, 'big');
  const fd = fs.openSync(big, 'w');
  const chunk = Buffer.alloc(1 << 20, 'b');
  for (let i = 0; i < bigMb; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const server = await startCNghttpd(docroot);
  const base = `http://127.0.0.1:${server.port}`;
  console.log(`nghttp vs C nghttp against C nghttpd (h2c), best of ${repeat}; ${machineLine()}\n`);
  try {
    console.log(
      `${'run'.padEnd(26)} ${'C CPU-s'.padStart(8)} ${'ours CPU-s'.padStart(10)} ${'ours/C'.padStart(7)}  ours CPU per 1k requests`,
    );
    for (const m of [5000, 20000, 40000]) {
      const args = ['-n', '-m', String(m), `${base}/1k`];
      const c = await best([C_NGHTTP, ...args], repeat);
      const o = await best([...ours('nghttp'), ...args], repeat);
      console.log(
        `${`-n -m ${m} /1k`.padEnd(26)} ${c.cpu.toFixed(3).padStart(8)} ${o.cpu.toFixed(3).padStart(10)} ${(o.cpu / c.cpu).toFixed(2).padStart(6)}x  ${((o.cpu * 1000) / m).toFixed(3)} s${m === 20000 ? '  (target <= 3x)' : ''}`,
      );
    }
    // -s: both tools print the request's transfer time (request sent to response end), which
    // leaves out start-up and connecting: the figure the target is about.
    const args = ['-ns', `${base}/big`];
    const c = await best([C_NGHTTP, ...args], repeat);
    const o = await best([...ours('nghttp'), ...args], repeat);
    console.log(
      `\n${bigMb} MB download: transfer C ${c.transfer.toFixed(2)} s, ours ${o.transfer.toFixed(2)} s, ours/C ${(o.transfer / c.transfer).toFixed(2)}x (target <= 1.5); whole run wall C ${c.wall.toFixed(2)} s, ours ${o.wall.toFixed(2)} s; CPU C ${c.cpu.toFixed(2)} s, ours ${o.cpu.toFixed(2)} s`,
    );
  } finally {
    server.stop();
    fs.rmSync(docroot, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
