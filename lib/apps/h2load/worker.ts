/**
 * One h2load worker (thread): its share of clients and requests, the phases of a timing-based
 * run (-D, --warm-up-time), connection rate (-r), progress lines and the --log-file rows.
 */
import fs = require('fs');
import type { Duplex } from 'stream';
import type { TLSSocket } from 'tls';
import type { HeaderField } from '../../protocol/frame/types';
import { Client, ClientHost, H2SessionParts, h2SessionParts, Phase } from './client';
import { h1RequestHead, h2RequestHeaders } from './requests';
import type { H2loadConfig, Target } from './options';
import { newWorkerStats, REHEARSAL_AT, WorkerStats } from './stats';
import { setOutputSlabSize } from '../../protocol/session/output-queue';
import { monoMs } from './clock';

/** What a worker is given. Plain data (it crosses into worker_threads), plus the output sink. */
export interface WorkerInit {
  id: number;
  config: H2loadConfig;
  target: Target;
  /** This worker's requests (ignored with -D) and clients. */
  reqTodo: number;
  nclients: number;
  /** Connections made per rate period (-r share), 0 = all at once. */
  rate: number;
  postData?: Buffer;
  /** --log-file descriptor (shared by all threads of the process). */
  logFd?: number;
  userAgent: string;
  /** A live progress line replaces the 10% lines (stdout is a TTY): this worker prints none. */
  liveProgress?: boolean;
}

/** h2load's util::duration_str: `500ms`, `3s`, `2m`, `1h`. */
export function durationStr(ms: number): string {
  if (ms === 0) return '0';
  if (ms % 1000 !== 0) return `${Math.floor(ms)}ms`;
  let v = ms / 1000;
  if (v === 0 || v % 60) return `${v}s`;
  v /= 60;
  if (v % 60) return `${v}m`;
  return `${v / 60}h`;
}

/** The "spawning thread" line of one worker. */
export function spawnLine(init: Pick<WorkerInit, 'id' | 'nclients' | 'reqTodo' | 'rate' | 'config'>): string {
  const c = init.config;
  let s = `spawning thread #${init.id}: ${init.nclients} total client(s).`;
  if (c.durationMs !== undefined) {
    s += ` Timing-based test with ${durationStr(c.warmUpMs)} of warm-up time and ${durationStr(c.durationMs)} of main duration for measurements.`;
  } else {
    if (init.rate > 0) s += ` Up to ${init.rate} client(s) will be created every ${durationStr(c.ratePeriodMs)}`;
    s += ` ${init.reqTodo} total requests`;
  }
  return s;
}

/**
 * The output slab size of an h2load thread: a client queues ~15 octets per request, so its slabs
 * must be small to die young (see setOutputSlabSize).
 */
const CLIENT_OUTPUT_SLAB_SIZE = 8192;

/** Runs one worker's clients to the end; `run()` resolves with its counters. */
export class LoadWorker implements ClientHost {
  readonly id: number;
  readonly config: H2loadConfig;
  readonly target: Target;
  readonly stats: WorkerStats;
  readonly timing: boolean;
  readonly postData: Buffer | undefined;
  readonly h2Requests: HeaderField[][];
  readonly h2Session: H2SessionParts;
  readonly h1Requests: Buffer[];
  phase: Phase;
  private readonly clients: Client[] = [];
  private readonly progressInterval: number;
  /** reqDone at which reportProgress looks again (see progressDue). */
  private progressAt: number;
  private readonly clientInterval: number;
  private nconnsMade = 0;
  /** Clients this worker makes in all (fewer than nclients with --rate-period=0). */
  private clientsToMake: number;
  private ndone = 0;
  private appInfoPrinted = false;
  private tlsInfoPrinted = false;
  private logBuf = '';
  private resolve: ((s: WorkerStats) => void) | undefined;
  private rateTimer: NodeJS.Timeout | undefined;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly init: WorkerInit,
    private readonly sink: (text: string) => void,
  ) {
    this.id = init.id;
    this.config = init.config;
    this.target = init.target;
    this.timing = init.config.durationMs !== undefined;
    this.phase = this.timing ? 'initial' : 'main';
    setOutputSlabSize(CLIENT_OUTPUT_SLAB_SIZE);
    this.stats = newWorkerStats(this.timing ? 0 : init.reqTodo);
    this.postData = init.postData;
    this.progressInterval = Math.max(1, Math.floor(init.reqTodo / 10));
    this.progressAt = Math.min(REHEARSAL_AT, this.progressInterval);
    this.clientInterval = Math.max(1, Math.floor(init.nclients / 10));
    this.clientsToMake = init.nclients;
    const t = init.target;
    const method = init.postData ? 'POST' : 'GET';
    const len = init.postData?.length;
    this.h2Requests = t.paths.map((p) => h2RequestHeaders(method, p, t.scheme, t.authority, init.userAgent, init.config.headers, len));
    this.h2Session = h2SessionParts(init.config);
    this.h1Requests = t.paths.map((p) => h1RequestHead(method, p, t.authority, init.userAgent, init.config.headers, len));
  }

  now(): number {
    return monoMs();
  }

  out(line: string): void {
    this.sink(line + '\n');
  }

  outRaw(bytes: Buffer): void {
    this.sink(bytes.toString('latin1'));
  }

  /** Start every client (or the first batch with -r); resolves when all have finished. */
  run(): Promise<WorkerStats> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      if (this.init.nclients === 0) {
        resolve(this.stats);
        return;
      }
      if (this.init.rate > 0) {
        this.makeClients(this.init.rate);
        // --rate-period=0: the reference's timer never repeats, so only the first batch is made;
        // the requests of the clients never made end up failed and errored.
        if (this.config.ratePeriodMs === 0) this.clientsToMake = this.nconnsMade;
        else if (this.nconnsMade < this.init.nclients) {
          this.rateTimer = setInterval(() => {
            this.makeClients(this.init.rate);
            if (this.nconnsMade >= this.init.nclients && this.rateTimer) clearInterval(this.rateTimer);
          }, this.config.ratePeriodMs);
        }
      } else {
        this.makeClients(this.init.nclients);
      }
    });
  }

  private makeClients(n: number): void {
    const base = Math.floor(this.init.reqTodo / this.init.nclients);
    const rem = this.init.reqTodo % this.init.nclients;
    for (let i = 0; i < n && this.nconnsMade < this.init.nclients; i++) {
      const k = this.nconnsMade++;
      const c = new Client(this, k, base + (k < rem ? 1 : 0));
      this.clients.push(c);
      c.start();
      if (this.timing || this.init.rate > 0) this.reportRateProgress();
    }
  }

  private reportRateProgress(): void {
    if (this.id !== 0 || this.nconnsMade % this.clientInterval) return;
    this.out(`progress: ${Math.floor((this.nconnsMade * 100) / this.init.nclients)}% of clients started`);
  }

  /** A counted request is done: the reference's 10% line when its count reaches the next mark. */
  reportProgress(): void {
    if (this.stats.reqDone >= this.progressAt) this.progressDue();
  }

  /**
   * reqDone reached `progressAt`: print the line if one is due (the reference's test, reqDone a
   * multiple of the interval) and set the next mark. `progressAt` starts at REHEARSAL_AT (the
   * first mark when that comes sooner), so an early request comes here: the call has run before
   * the per-request code is optimised, which then calls it rarely instead of inlining the printing
   * it has never run (reaching that at 10% deoptimised the whole close-and-resubmit path, which
   * was compiled again). Not at the first request: V8 keeps no feedback for a function's first
   * few runs, so a call made only then counted as never run.
   */
  private progressDue(): void {
    if (this.id !== 0 || this.init.liveProgress || this.init.rate > 0 || this.timing) {
      this.progressAt = Infinity;
      return;
    }
    const done = this.stats.reqDone;
    const every = this.progressInterval;
    if (done % every === 0) this.out(`progress: ${Math.floor((done * 100) / this.stats.reqTodo)}% done`);
    this.progressAt = (Math.floor(done / every) + 1) * every;
  }

  printAppInfo(protocol: string, socket: Duplex): void {
    this.stats.protocol ??= protocol;
    if (this.id !== 0 || this.appInfoPrinted) return;
    this.appInfoPrinted = true;
    this.printTlsInfo(socket);
    this.out(`Application protocol: ${protocol}`);
  }

  printTlsInfo(socket: Duplex): void {
    if (this.id !== 0 || this.tlsInfoPrinted) return;
    this.tlsInfoPrinted = true;
    const ts = socket as TLSSocket;
    if (typeof ts.getProtocol === 'function' && ts.encrypted) {
      this.out(`TLS Protocol: ${ts.getProtocol()}`);
      // OpenSSL's name (SSL_CIPHER_get_name), as the C h2load prints it: ECDHE-ECDSA-AES128-GCM-SHA256
      // for TLSv1.2, not the IANA name; TLSv1.3 suites have one name.
      this.out(`Cipher: ${ts.getCipher()?.name}`);
      const k = ts.getEphemeralKeyInfo() as { type?: string; name?: string; size?: number } | null;
      if (k && k.type) {
        if (k.type === 'ECDH' && k.name && !/^X(25519|448)$/.test(k.name)) this.out(`Server Temp Key: ECDH ${k.name} ${k.size} bits`);
        else this.out(`Server Temp Key: ${k.name ?? k.type} ${k.size} bits`);
      }
    }
  }

  beginWarmUp(): void {
    if (this.phase !== 'initial') return;
    this.phase = 'warmup';
    this.out(`Warm-up started for thread #${this.id}.`);
    this.timers.push(setTimeout(() => this.beginMain(), this.config.warmUpMs));
  }

  private beginMain(): void {
    this.out(`Warm-up phase is over for thread #${this.id}.`);
    this.out(`Main benchmark duration is started for thread #${this.id}.`);
    for (const c of this.clients) c.onMainPhase();
    this.phase = 'main';
    this.timers.push(setTimeout(() => this.endMain(), this.config.durationMs));
  }

  private endMain(): void {
    this.out(`Main benchmark duration is over for thread #${this.id}. Stopping all clients.`);
    this.phase = 'over';
    for (const c of this.clients) c.stop();
    this.out(`Stopped all clients for thread #${this.id}`);
    this.maybeFinish();
  }

  logRow(startUs: number, status: number, durationUs: number): void {
    this.logBuf += `${startUs}\t${status}\t${durationUs}\n`;
    if (this.logBuf.length > 65536) this.flushLog();
  }

  private flushLog(): void {
    if (this.init.logFd !== undefined && this.logBuf) {
      try {
        fs.writeSync(this.init.logFd, this.logBuf);
      } catch {
        // A failing log file must not stop the benchmark; the summary still prints.
      }
    }
    this.logBuf = '';
  }

  clientDone(c: Client): void {
    void c;
    this.ndone++;
    this.maybeFinish();
  }

  /** Done when every client has finished and, for -D, the main duration is over (it runs its course even if every connection failed, as in h2load). */
  private maybeFinish(): void {
    if (this.ndone < this.clientsToMake || this.nconnsMade < this.clientsToMake) return;
    if (this.timing && this.phase !== 'over') return;
    this.finish();
  }

  private finish(): void {
    if (this.rateTimer) clearInterval(this.rateTimer);
    for (const t of this.timers) clearTimeout(t);
    // A -D run that ended before its main phase (every connection failed) has nothing to count.
    for (const c of this.clients) if (!c.timedOut) this.stats.clients.push(c.cstat);
    if (this.timing) this.stats.reqTodo = this.stats.reqDone;
    this.flushLog();
    const r = this.resolve;
    this.resolve = undefined;
    r?.(this.stats);
  }
}
