/**
 * Who serves the sockets the supervisor accepts: one configuration in this process
 * ({@link InProcessWorkers}, `-n 1` and `--single-process`), or N worker processes of this program
 * ({@link ChildWorkers}, `-n N`) that get each socket over IPC, round-robin, the way node:cluster
 * hands them out. Either can drain (reload, SIGQUIT) and reopen its logs (SIGUSR1).
 */
import { ChildProcess, fork } from 'child_process';
import type * as net from 'net';
import type { NghttpxOptions } from './config';
import { createEngine, EngineShared, NghttpxEngine, ProxyIO } from './proxy';
import { keysFromWire, keysToWire, TicketKeyRing } from './ticket-keys';
import { dropPrivileges, lookupUser } from './privileges';

/** A set of workers serving one configuration. */
export interface Workers {
  /** Serve a socket accepted on frontend `index`. */
  dispatch(socket: net.Socket, index: number): void;
  /** SIGUSR1: reopen the log files. */
  reopenLogs(): void;
  /** Graceful end: in-flight requests finish; resolves when every worker is done. */
  drain(timeoutMs: number): Promise<void>;
  /** End now. */
  destroy(): void;
}

/** The environment variable that makes this program a worker process. */
export const WORKER_ENV = 'NGHTTPX_TS_WORKER';

/** Messages between the supervisor and a worker process. */
export type WorkerMessage =
  | { type: 'config'; options: NghttpxOptions; ticketKeys?: Buffer[] }
  /** The supervisor renewed its generated ticket keys (the workers without a key file use them). */
  | { type: 'ticket-keys'; keys: Buffer[] }
  /** The worker's first OCSP attempts are done (sent when --ocsp-startup holds its sockets). */
  | { type: 'ocsp-ready' }
  | { type: 'ready' }
  | { type: 'conn'; index: number }
  | { type: 'reopen' }
  | { type: 'drain'; timeoutMs: number }
  | { type: 'failed'; message: string };

/**
 * V8's young generation of an nghttpx process: semi-spaces at their 16 MB maximum from the start
 * (bin/nghttpx's #! line gives the same flag to the supervisor / `-n 1` process). Node starts
 * them at 1 MB and grows them with the allocation volume, so a process serving part of the load
 * (each worker of `-n 2`) keeps small ones for longer: its requests in flight (~6 KB allocated each,
 * h2c -> h2 backend) outlive a scavenge and are copied, then promoted into old space, which needs
 * mark-compacts. Measured at `-n 2` (30000 requests after a 30000 warm-up, two alternating runs):
 * 41-43 scavenges and 2-3 mark-compacts against 12 scavenges and none, GC pauses 218-435 ms
 * against 64-77 ms; `-n 1` 24 scavenges against 13. RSS +20 MB per worker (+5 MB at `-n 1`).
 * Last session: 2 MB caps cost 224 scavenges and 5 mark-compacts per 40000 requests; 32 or 64 MB
 * did worse than 16.
 */
export const YOUNG_GENERATION_FLAG = '--min-semi-space-size=16';

/**
 * Node flags of a worker process: ours without the inspector, with {@link YOUNG_GENERATION_FLAG}
 * unless the supervisor was given a semi-space flag of its own (passed on as it is).
 */
export function workerExecArgv(parent: readonly string[]): string[] {
  const out = parent.filter((a) => !a.startsWith('--inspect'));
  if (!out.some((a) => /^--(min|max)[-_]semi[-_]space[-_]size\b/.test(a))) out.push(YOUNG_GENERATION_FLAG);
  return out;
}

/** One configuration served in this process. */
export class InProcessWorkers implements Workers {
  readonly engine: NghttpxEngine;
  /** --ocsp-startup: sockets wait (paused, unread) until the first OCSP attempts are done. */
  private gate: Promise<void> | undefined;

  constructor(options: NghttpxOptions, io: ProxyIO = {}, shared: EngineShared = {}) {
    this.engine = createEngine(options, io, shared);
    if (options.ocspStartup) {
      this.gate = this.engine.ocspReady.then(() => {
        this.gate = undefined;
      });
    }
  }

  dispatch(socket: net.Socket, index: number): void {
    if (this.gate) {
      void this.gate.then(() => {
        if (!socket.destroyed) this.dispatch(socket, index);
      });
      return;
    }
    // Accepted paused (see supervisor.ts): flowing starts on the next tick, after accept() has
    // attached its listeners.
    socket.resume();
    this.engine.accept(socket, index);
  }

  reopenLogs(): void {
    this.engine.reopenLogs();
  }

  drain(timeoutMs: number): Promise<void> {
    return this.engine.shutdown(timeoutMs);
  }

  destroy(): void {
    this.engine.destroy();
  }
}

/**
 * N worker processes (this program again, with {@link WORKER_ENV} set), each running the engine
 * of `options`; sockets are handed to them in turn. Resolves `ready` once every worker serves.
 */
export class ChildWorkers implements Workers {
  private readonly children: ChildProcess[] = [];
  private next = 0;
  private draining = false;
  /** Resolves when every worker has its configuration running; rejects if one fails to start. */
  readonly ready: Promise<void>;
  /** --ocsp-startup: sockets accepted before every worker had its first OCSP attempts (sent after). */
  private held: { socket: net.Socket; index: number }[] | undefined;
  private ocspPending = new Set<ChildProcess>();

  constructor(
    private readonly options: NghttpxOptions,
    private readonly script: string,
    private readonly log: (msg: string) => void,
    private readonly ticketKeys?: TicketKeyRing,
  ) {
    if (options.ocspStartup) this.held = [];
    const starts: Promise<void>[] = [];
    for (let i = 0; i < options.workers; i++) starts.push(this.spawn());
    this.ready = Promise.all(starts).then(() => undefined);
    this.ready.catch(() => undefined);
  }

  private spawn(): Promise<void> {
    const child = fork(this.script, [], {
      env: { ...process.env, [WORKER_ENV]: '1' },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: workerExecArgv(process.execArgv),
    });
    this.children.push(child);
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      const i = this.children.indexOf(child);
      if (i >= 0) this.children.splice(i, 1);
      // A worker that died while serving is replaced, as the reference's master does.
      if (!this.draining) {
        this.log(`worker process ${child.pid} exited (${signal ?? code}); starting another`);
        this.spawn().catch((err: Error) => this.log(`could not start a worker: ${err.message}`));
      }
    });
    if (this.held) this.ocspPending.add(child);
    child.once('exit', () => this.ocspDone(child));
    return new Promise<void>((resolve, reject) => {
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'ocsp-ready') this.ocspDone(child);
        else if (m.type === 'failed') reject(new Error(m.message));
      });
      child.once('exit', () => reject(new Error('worker exited before it was ready')));
      const ticketKeys = this.ticketKeys ? keysToWire(this.ticketKeys.list) : undefined;
      child.send({ type: 'config', options: this.options, ticketKeys } satisfies WorkerMessage);
    });
  }

  /** One worker finished its first OCSP attempts: once all did, the held sockets go out. */
  private ocspDone(child: ChildProcess): void {
    this.ocspPending.delete(child);
    if (!this.held || this.ocspPending.size > 0) return;
    const held = this.held;
    this.held = undefined;
    for (const h of held) if (!h.socket.destroyed) this.dispatch(h.socket, h.index);
  }

  /** The supervisor renewed its generated ticket keys: every worker takes them. */
  sendTicketKeys(keys: Buffer[]): void {
    for (const c of this.children) if (c.connected) c.send({ type: 'ticket-keys', keys } satisfies WorkerMessage);
  }

  /** The worker process ids. */
  get pids(): number[] {
    return this.children.map((c) => c.pid!).filter((p) => p !== undefined);
  }

  dispatch(socket: net.Socket, index: number): void {
    if (this.held) {
      this.held.push({ socket, index });
      return;
    }
    const live = this.children.filter((c) => c.connected);
    if (live.length === 0) {
      socket.destroy();
      return;
    }
    const child = live[this.next++ % live.length];
    child.send({ type: 'conn', index } satisfies WorkerMessage, socket, (err) => {
      if (err) socket.destroy();
    });
  }

  reopenLogs(): void {
    for (const c of this.children) if (c.connected) c.send({ type: 'reopen' } satisfies WorkerMessage);
  }

  drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    return Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            const kill = setTimeout(() => c.kill('SIGKILL'), timeoutMs + 2000);
            kill.unref();
            if (c.connected) c.send({ type: 'drain', timeoutMs } satisfies WorkerMessage);
            else c.kill('SIGTERM');
          }),
      ),
    ).then(() => undefined);
  }

  destroy(): void {
    this.draining = true;
    for (const c of this.children) c.kill('SIGKILL');
  }
}

/**
 * The body of a worker process: wait for the configuration, serve the sockets sent with it,
 * reopen logs and drain when told, exit when drained or when the supervisor goes away.
 */
export function runWorker(): void {
  let engine: NghttpxEngine | undefined;
  let shared: TicketKeyRing | undefined;
  process.on('message', (m: WorkerMessage, handle?: net.Socket) => {
    if (m.type === 'config') {
      try {
        const cipher = m.options.tlsTicketKeyCipher;
        shared = m.ticketKeys ? new TicketKeyRing(keysFromWire(m.ticketKeys, cipher), cipher) : undefined;
        const e = createEngine(m.options, {}, { ticketKeys: shared });
        engine = e;
        // --user: the log files are open and the sockets come over IPC; nothing needs root now.
        if (m.options.user) dropPrivileges(lookupUser(m.options.user));
        process.send!({ type: 'ready' } satisfies WorkerMessage);
        if (m.options.ocspStartup) void e.ocspReady.then(() => process.send!({ type: 'ocsp-ready' } satisfies WorkerMessage));
      } catch (err) {
        process.send!({ type: 'failed', message: (err as Error).message } satisfies WorkerMessage);
        process.exit(1);
      }
    } else if (m.type === 'conn' && handle) {
      if (engine) engine.accept(handle, m.index);
      else handle.destroy();
    } else if (m.type === 'ticket-keys') shared?.set(keysFromWire(m.keys, engine?.options.tlsTicketKeyCipher));
    else if (m.type === 'reopen') engine?.reopenLogs();
    else if (m.type === 'drain') {
      void (engine ? engine.shutdown(m.timeoutMs) : Promise.resolve()).finally(() => process.exit(0));
    }
  });
  // The supervisor died: nobody will send more sockets; finish what is in flight.
  process.on('disconnect', () => {
    void (engine ? engine.shutdown(30000) : Promise.resolve()).finally(() => process.exit(0));
  });
  // Signals are the supervisor's to handle (it forwards what matters); a terminal's ^C reaches
  // the whole group, so the worker ignores SIGINT/SIGQUIT/SIGHUP/SIGUSR* and waits for orders.
  for (const s of ['SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) process.on(s, () => undefined);
}
