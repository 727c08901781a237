/**
 * The whole h2load run: read -i/-d files, resolve the target, spread clients and requests over
 * threads as h2load does, run the workers (thread 0 here, the others in worker_threads), then
 * merge their counters and print the summary.
 */
import * as fs from 'fs';
import * as path from 'path';
import { workerThreads } from '../../lazy';
import { packageVersion } from '../common/version';
import { H2loadConfig, resolveTarget, Target, urisFromText, UsageError } from './options';
import { formatSummary, mergeStats, processTimeStats, WorkerStats } from './stats';
import type { ThreadMessage } from './thread';
import { LoadWorker, spawnLine, WorkerInit } from './worker';

/** Where a run writes. */
export interface RunIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** For `-i -`. */
  readStdin?: () => string;
}

/** What a run produced. */
export interface RunResult {
  /** 0 unless no request could even be completed (see the README: the reference exits 0 even then). */
  exitCode: number;
  stats: WorkerStats;
  /** The summary text as printed. */
  summary: string;
}

/** The User-Agent of our requests. */
export function userAgent(): string {
  return `h2load nghttp2-ts/${packageVersion()}`;
}

/**
 * Split n items over k parts the way h2load does: n/k each, the first n%k parts one more.
 */
export function spread(n: number, k: number): number[] {
  const base = Math.floor(n / k);
  const rem = n % k;
  return Array.from({ length: k }, (_, i) => base + (i < rem ? 1 : 0));
}

/** Resolve the files and the target; UsageError on anything unreadable or malformed. */
export function prepare(config: H2loadConfig, io: RunIO): { target: Target; postData?: Buffer } {
  let uris = config.uris;
  if (config.inputFile !== undefined) {
    let text: string;
    try {
      text = config.inputFile === '-' ? (io.readStdin ? io.readStdin() : fs.readFileSync(0, 'utf8')) : fs.readFileSync(config.inputFile, 'utf8');
    } catch (e) {
      throw new UsageError(`-i: cannot read ${config.inputFile}: ${(e as Error).message}`);
    }
    uris = urisFromText(text);
    if (uris.length === 0) throw new UsageError(`-i: no URI in ${config.inputFile}`);
  }
  const target = resolveTarget(config, uris);
  let postData: Buffer | undefined;
  if (config.dataFile !== undefined) {
    try {
      postData = fs.readFileSync(config.dataFile);
    } catch (e) {
      throw new UsageError(`-d: cannot read ${config.dataFile}: ${(e as Error).message}`);
    }
  }
  return { target, postData };
}

/** Run a benchmark and print what h2load prints. Throws UsageError for bad files/URIs (before printing). */
export async function runH2load(config: H2loadConfig, io: RunIO): Promise<RunResult> {
  const { target, postData } = prepare(config, io);
  let logFd: number | undefined;
  if (config.logFile !== undefined) {
    try {
      logFd = fs.openSync(config.logFile, 'w');
    } catch (e) {
      throw new UsageError(`--log-file: cannot open ${config.logFile}: ${(e as Error).message}`);
    }
  }
  const write = (text: string) => io.stdout.write(text);
  const out = (line: string) => write(line + '\n');
  out('starting benchmark...');
  const reqs = spread(config.durationMs !== undefined ? 0 : config.requests, config.threads);
  const clients = spread(config.clients, config.threads);
  const rates = config.rate > 0 ? spread(config.rate, config.threads) : clients.map(() => 0);
  const inits: WorkerInit[] = [];
  for (let i = 0; i < config.threads; i++) {
    const init: WorkerInit = {
      id: i, config, target, reqTodo: reqs[i], nclients: clients[i], rate: rates[i],
      postData, logFd, userAgent: userAgent(),
    };
    inits.push(init);
    out(spawnLine(init));
  }
  const start = performance.now();
  const runs: Promise<WorkerStats>[] = inits.map((init) => (init.id === 0 ? new LoadWorker(init, write).run() : runThread(init, write)));
  const all = await Promise.all(runs);
  const end = performance.now();
  if (logFd !== undefined) fs.closeSync(logFd);

  const stats = mergeStats(all);
  if (config.durationMs === undefined) stats.reqTodo = config.requests;
  // Requests never sent (a connection that failed first) count as failed and errored.
  const notIssued = stats.reqTodo - stats.reqStatusSuccess - stats.reqFailed;
  if (notIssued > 0) {
    stats.reqFailed += notIssued;
    stats.reqError += notIssued;
  }
  const times = processTimeStats(all);
  const summary = formatSummary({
    stats, times, durationUs: Math.floor((end - start) * 1000),
    timingSeconds: config.durationMs !== undefined ? config.durationMs / 1000 : undefined,
  });
  io.stdout.write(summary);
  // Not one request completed (refused, unreachable, every stream reset): a failed benchmark.
  const exitCode = stats.reqDone === 0 ? 1 : 0;
  return { exitCode, stats, summary };
}

function runThread(init: WorkerInit, write: (text: string) => void): Promise<WorkerStats> {
  return new Promise((resolve, reject) => {
    const w = new (workerThreads().Worker)(path.join(__dirname, 'thread.js'), { workerData: init });
    let done = false;
    w.on('message', (m: ThreadMessage) => {
      if (m.type === 'out') write(m.text);
      else {
        done = true;
        resolve(m.stats);
        void w.terminate();
      }
    });
    w.on('error', reject);
    w.on('exit', () => {
      if (!done) reject(new Error(`thread #${init.id} exited early`));
    });
  });
}
