/**
 * `npm run fuzz -- [--runs N] [--seconds S] [--target a,b] [--seed N] [--timeout MS] [--save-corpus DIR] [--unreached]`
 * runs each target in its own worker thread, one after the other, and prints one line per
 * target: `<target>: <N> inputs, <K> crashes`. Exits 1 when any input crashed or hung.
 * `--repro FILE --target T` runs one saved input through T without instrumentation and shows
 * what it throws.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import minimist from 'minimist';
import { Worker } from 'worker_threads';
import { loadTarget, repoRoot } from './corpus';
import { CTRL_CAPACITY, CTRL_DATA, CTRL_LEN, CTRL_PHASE, CTRL_SEQ, LoopConfig, LoopMessage } from './loop';
import { TARGETS } from './targets/index';

interface Outcome {
  execs: number;
  crashes: number;
  hung: boolean;
}

function usage(msg: string): never {
  process.stderr.write(`fuzz: ${msg}\n`);
  process.exit(2);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function saveArtifact(target: string, input: Uint8Array, kind: string): string {
  const dir = path.join(repoRoot(), 'fuzz', 'crashes');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${target}-${kind}-${createHash('sha1').update(input).digest('hex').slice(0, 12)}.bin`);
  fs.writeFileSync(file, input);
  return path.relative(process.cwd(), file);
}

function fuzzOne(cfg: Omit<LoopConfig, 'ctrl'>, timeoutMs: number): Promise<Outcome> {
  const ctrlBuf = new SharedArrayBuffer(CTRL_DATA + CTRL_CAPACITY);
  const ctrl = new Int32Array(ctrlBuf, 0, 4);
  const worker = new Worker(path.join(__dirname, 'loop.js'), {
    workerData: { ...cfg, ctrl: ctrlBuf } satisfies LoopConfig,
    resourceLimits: { maxOldGenerationSizeMb: 2048 },
  });
  return new Promise((resolve) => {
    let crashes = 0;
    let finished = false;
    let lastSeq = -1;
    let lastChange = Date.now();
    const finish = (o: Outcome) => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      resolve(o);
    };
    // The per-input time limit: a synchronous loop cannot be interrupted from inside, so the
    // main thread watches the input sequence number and terminates a worker stuck on one input.
    const watchdog = setInterval(
      () => {
        if (Atomics.load(ctrl, CTRL_PHASE) !== 1) return;
        const seq = Atomics.load(ctrl, CTRL_SEQ);
        const now = Date.now();
        if (seq !== lastSeq) {
          lastSeq = seq;
          lastChange = now;
          return;
        }
        if (now - lastChange < timeoutMs) return;
        const input = new Uint8Array(ctrlBuf, CTRL_DATA, Atomics.load(ctrl, CTRL_LEN)).slice();
        process.stderr.write(`${cfg.target}: HANG: one input ran over ${timeoutMs} ms (input #${seq})\n`);
        process.stderr.write(
          `  saved to ${saveArtifact(cfg.target, input, 'hang')}${input.length <= 256 ? `\n  hex ${hex(input)}` : ''}\n`,
        );
        void worker.terminate();
        finish({ execs: seq, crashes: crashes + 1, hung: true });
      },
      Math.min(250, timeoutMs / 4),
    );
    worker.on('message', (m: LoopMessage) => {
      if (m.type === 'crash') {
        process.stderr.write(`${cfg.target}: CRASH: ${m.name}: ${m.message}\n`);
        const frames = m.stack
          .split('\n')
          .filter((l) => l.trim().startsWith('at '))
          .slice(0, 6);
        for (const f of frames) process.stderr.write(`  ${f.trim()}\n`);
        process.stderr.write(
          `  saved to ${saveArtifact(cfg.target, m.input, 'crash')}${m.input.length <= 256 ? `\n  hex ${hex(m.input)}` : ''}\n`,
        );
      } else if (m.type === 'progress') {
        process.stderr.write(
          `${cfg.target}: ${m.execs} inputs, ${m.covered} blocks, corpus ${m.corpus}, ${Math.round(m.execs / (m.ms / 1000))}/s\n`,
        );
      } else if (m.type === 'done') {
        crashes = m.crashes;
        process.stderr.write(
          `${cfg.target}: ${m.covered} of ${m.sites} blocks reached, corpus ${m.corpus}, ` +
            `${(m.ms / 1000).toFixed(1)} s, ${Math.round(m.execs / Math.max(m.ms / 1000, 0.001))} inputs/s, ` +
            `slowest input ${m.slowestMs.toFixed(1)} ms (${m.slowestLen} octets)\n`,
        );
        for (const line of m.unreached ?? []) process.stderr.write(`  unreached ${path.relative(process.cwd(), line)}\n`);
        finish({ execs: m.execs, crashes: m.crashes, hung: false });
      }
    });
    worker.on('error', (err) => {
      process.stderr.write(`${cfg.target}: CRASH: the worker died: ${err.message}\n`);
      const input = new Uint8Array(ctrlBuf, CTRL_DATA, Atomics.load(ctrl, CTRL_LEN)).slice();
      process.stderr.write(`  last input saved to ${saveArtifact(cfg.target, input, 'crash')}\n`);
      finish({ execs: Atomics.load(ctrl, CTRL_SEQ), crashes: crashes + 1, hung: false });
    });
    worker.on('exit', () => finish({ execs: Atomics.load(ctrl, CTRL_SEQ), crashes: crashes + 1, hung: false }));
  });
}

function repro(targetName: string, file: string): number {
  const target = loadTarget(targetName);
  const input = fs.readFileSync(file);
  const t0 = process.hrtime.bigint();
  try {
    target.run(input);
  } catch (err) {
    process.stderr.write(`${targetName}: ${file}: crashes:\n${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
  process.stdout.write(`${targetName}: ${file}: clean (${Number(process.hrtime.bigint() - t0) / 1e6} ms)\n`);
  return 0;
}

async function main(): Promise<void> {
  const argv = minimist(process.argv.slice(2), {
    string: ['target', 'repro', 'save-corpus', 'runs', 'seconds', 'timeout', 'seed'],
    boolean: ['unreached'],
    default: { runs: 10000, seconds: 0, timeout: 5000 },
    unknown: (a) => (a.startsWith('-') ? usage(`unknown option ${a}`) : true),
  });
  const runs = Number(argv.runs);
  const seconds = Number(argv.seconds);
  const timeoutMs = Number(argv.timeout);
  if (!Number.isInteger(runs) || runs < 1) usage(`--runs takes a positive integer, got ${argv.runs}`);
  if (!(seconds >= 0)) usage(`--seconds takes a number >= 0, got ${argv.seconds}`);
  if (!(timeoutMs > 0)) usage(`--timeout takes milliseconds > 0, got ${argv.timeout}`);
  const names = argv.target ? String(argv.target).split(',') : TARGETS.filter((t) => !t.hidden).map((t) => t.name);
  for (const n of names)
    if (!TARGETS.some((t) => t.name === n)) usage(`unknown target '${n}' (targets: ${TARGETS.map((t) => t.name).join(', ')})`);
  if (argv.repro) {
    if (names.length !== 1) usage('--repro needs exactly one --target');
    process.exitCode = repro(names[0], String(argv.repro));
    return;
  }
  const seed = argv.seed !== undefined ? Number(argv.seed) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  process.stderr.write(`fuzz: seed ${seed}, per-input limit ${timeoutMs} ms\n`);
  let failed = false;
  for (const target of names) {
    const saveDir = argv['save-corpus'] ? path.resolve(String(argv['save-corpus']), target) : undefined;
    const o = await fuzzOne({ target, runs, seconds, seed, saveDir, unreached: argv.unreached === true }, timeoutMs);
    process.stdout.write(`${target}: ${o.execs} inputs, ${o.crashes} crashes${o.hung ? ' (hang)' : ''}\n`);
    if (o.crashes > 0) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
