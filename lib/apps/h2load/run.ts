/**
 * The whole h2load run: read -i/-d files, resolve the target, spread clients and requests over
 * threads as h2load does, run the workers (thread 0 here, the others in worker_threads), then
 * merge their counters and print the summary.
 */
import fs = require('fs');
import path = require('path');
import { workerThreads } from '../../lazy';
import { packageVersion } from '../common/version';
import { H2loadConfig, parseTimingScript, resolveTarget, Target, urisFromText, UsageError } from './options';
import { formatPercentiles, formatSummary, mergeStats, processTimeStats, WorkerStats } from './stats';
import type { MainMessage, ThreadMessage } from './thread';
import { htmlReport, summaryJson } from './report';
import { LoadWorker, spawnLine, WorkerInit } from './worker';
import { monoMs } from './clock';

/** Where a run writes. */
export interface RunIO {
  /** Where the summary goes; on a TTY (`isTTY`) a live progress line replaces the 10% lines. */
  /** Where the summary goes (process.stdout); a TTY gets the live progress line. */
  stdout: {
    /** Writes text. */
    write(s: string): unknown;
    /** True on a terminal. */
    isTTY?: boolean;
  };
  /** Where errors and warnings go (process.stderr). */
  stderr: {
    /** Writes text. */
    write(s: string): unknown;
  };
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
  if (config.timingScriptFile !== undefined) {
    const f = config.timingScriptFile;
    let text: string;
    try {
      text = f === '-' ? (io.readStdin ? io.readStdin() : fs.readFileSync(0, 'utf8')) : fs.readFileSync(f, 'utf8');
    } catch (e) {
      throw new UsageError(`--timing-script-file: cannot read ${f}: ${(e as Error).message}`);
    }
    config.timingScript = parseTimingScript(text);
    uris = config.timingScript.uris;
    // -n is per client here: the script's length unless -n asks for fewer.
    const lines = uris.length;
    config.requests = (config.requestsGiven ? Math.min(config.requests, lines) : lines) * config.clients;
  } else if (config.inputFile !== undefined) {
    let text: string;
    try {
      text =
        config.inputFile === '-' ? (io.readStdin ? io.readStdin() : fs.readFileSync(0, 'utf8')) : fs.readFileSync(config.inputFile, 'utf8');
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
  // --json: stdout carries the one JSON document and nothing else.
  const write = config.json ? () => undefined : (text: string) => io.stdout.write(text);
  const out = (line: string) => write(line + '\n');
  const live = !config.json && io.stdout.isTTY === true;
  out('starting benchmark...');
  const reqs = spread(config.durationMs !== undefined ? 0 : config.requests, config.threads);
  const clients = spread(config.clients, config.threads);
  const rates = config.rate > 0 ? spread(config.rate, config.threads) : clients.map(() => 0);
  const inits: WorkerInit[] = [];
  for (let i = 0; i < config.threads; i++) {
    const init: WorkerInit = {
      id: i,
      config,
      target,
      reqTodo: reqs[i],
      nclients: clients[i],
      rate: rates[i],
      postData,
      logFd,
      userAgent: userAgent(),
      liveProgress: live,
    };
    inits.push(init);
    out(spawnLine(init));
  }
  // Threads #1.. load and set up first; the clock starts once every one of them is ready.
  const progress = inits.map(() => ({ done: 0, errored: 0 }));
  const threads = await Promise.all(inits.slice(1).map((init) => startThread(init, write, (p) => (progress[init.id] = p))));
  const main = new LoadWorker(inits[0], write);
  const start = monoMs();
  let ticker: NodeJS.Timeout | undefined;
  if (live) {
    const total = config.durationMs === undefined ? config.requests : 0;
    let last = { t: start, done: 0 };
    ticker = setInterval(() => {
      progress[0] = { done: main.stats.reqDone, errored: main.stats.reqError };
      const t = monoMs();
      const done = progress.reduce((a, p) => a + p.done, 0);
      const errored = progress.reduce((a, p) => a + p.errored, 0);
      const rps = ((done - last.done) * 1000) / Math.max(1, t - last.t);
      last = { t, done };
      const pct = total > 0 ? `${Math.floor((done * 100) / total)}%, ` : '';
      io.stdout.write(`\r\x1b[Kprogress: ${pct}${done}${total > 0 ? `/${total}` : ''} done, ${rps.toFixed(0)} req/s, ${errored} errored`);
    }, 250);
  }
  const runs: Promise<WorkerStats>[] = [main.run(), ...threads.map((t) => t.go())];
  const all = await Promise.all(runs);
  const end = monoMs();
  if (ticker) {
    clearInterval(ticker);
    io.stdout.write('\r\x1b[K');
  }
  if (logFd !== undefined) fs.closeSync(logFd);

  const stats = mergeStats(all);
  if (config.durationMs === undefined) stats.reqTodo = config.requests;
  // Requests never sent (a connection that failed first) count as failed and errored.
  const notIssued = stats.reqTodo - stats.reqStatusSuccess - stats.reqFailed;
  if (notIssued > 0) {
    stats.reqFailed += notIssued;
    stats.reqError += notIssued;
  }
  const times = processTimeStats(all, stats);
  const summary = formatSummary({
    stats,
    times,
    durationUs: Math.floor((end - start) * 1000),
    timingSeconds: config.durationMs !== undefined ? config.durationMs / 1000 : undefined,
  });
  const durationUs = Math.floor((end - start) * 1000);
  if (config.json) io.stdout.write(JSON.stringify(summaryJson(config, target, stats, times, durationUs, protocolOf(all))) + '\n');
  else io.stdout.write(summary + formatPercentiles(stats));
  if (config.htmlReport !== undefined) {
    try {
      fs.writeFileSync(config.htmlReport, htmlReport(config, target, stats, times, durationUs));
    } catch (e) {
      io.stderr.write(`h2load: --html-report: cannot write ${config.htmlReport}: ${(e as Error).message}\n`);
    }
  }
  // Not one request succeeded (refused, unreachable, a server breaking the protocol, every
  // stream reset or timed out, every status 4xx/5xx): a failed benchmark, said in one line on
  // stderr. The reference exits 0 even then (see the README).
  const exitCode = stats.reqStatusSuccess === 0 ? 1 : 0;
  if (exitCode !== 0)
    io.stderr.write(
      `h2load: no request succeeded: ${stats.firstFailure ?? (stats.reqDone > 0 ? 'every response had a 4xx or 5xx status' : 'no request completed')}\n`,
    );
  return { exitCode, stats, summary };
}

/** The protocol the first connection spoke (thread 0's), for the JSON summary. */
function protocolOf(all: WorkerStats[]): string | undefined {
  return all.find((w) => w.protocol !== undefined)?.protocol;
}

/**
 * Start one worker thread; resolves once it is loaded and set up, with `go()` to start its run
 * (resolving with its counters).
 */
function startThread(
  init: WorkerInit,
  write: (text: string) => void,
  onProgress: (p: { done: number; errored: number }) => void,
): Promise<{ go(): Promise<WorkerStats> }> {
  return new Promise((ready, fail) => {
    const w = new (workerThreads().Worker)(path.join(__dirname, 'thread.js'), { workerData: init });
    let finished: ((s: WorkerStats) => void) | undefined;
    let failed: (e: Error) => void = fail;
    let done = false;
    const result = new Promise<WorkerStats>((resolve, reject) => {
      finished = resolve;
      failed = reject;
    });
    // Until 'ready', an early failure rejects the start; after it, the run.
    const early = fail;
    let isReady = false;
    w.on('message', (m: ThreadMessage) => {
      if (m.type === 'out') write(m.text);
      else if (m.type === 'progress') onProgress(m);
      else if (m.type === 'ready') {
        isReady = true;
        ready({
          go: () => {
            w.postMessage({ type: 'go' } satisfies MainMessage);
            return result;
          },
        });
      } else {
        done = true;
        finished?.(m.stats);
        void w.terminate();
      }
    });
    w.on('error', (e) => (isReady ? failed(e) : early(e)));
    w.on('exit', () => {
      if (done) return;
      const e = new Error(`thread #${init.id} exited early`);
      if (isReady) failed(e);
      else early(e);
    });
  });
}
