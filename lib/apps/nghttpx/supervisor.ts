/**
 * nghttpx's process life: the listeners, who serves them (this process, or `-n N` worker
 * processes), and the signals: SIGQUIT drains and exits; SIGHUP reloads the configuration (new
 * workers take new connections, the old ones drain, the listeners stay); SIGUSR1 reopens the
 * logs; SIGUSR2 starts a new copy of the program on the same listening sockets, which sends
 * SIGQUIT to this one once it serves (as the reference since 1.20.0). Also `--pid-file`.
 */
import { spawn } from 'child_process';
import fs = require('fs');
import type * as net from 'net';
import type { NghttpxOptions } from './config';
import { formatErrorLine, levelEnabled } from './log';
import { fileSink } from './log-sinks';
import { closeListener, inheritedFds, Listener, LISTENER_FDS_ENV, listenerFd, listenerKey, openListener } from './listeners';
import type { LogLevel } from './options';
import { keysToWire, renewingRing, TicketKeyRing } from './ticket-keys';
import { dropPrivileges, lookupUser } from './privileges';
import { ChildWorkers, InProcessWorkers, Workers } from './workers';

/**
 * Set in the copy SIGUSR2 starts: the starting process's pid. As the reference (since nghttpx
 * 1.20.0), "the new main process sends SIGQUIT to the original main process when it is ready to
 * serve requests".
 */
export const ORIGINAL_PID_ENV = 'NGHTTPX_TS_ORIG_PID';

/** The longest drain: about 24 days, below the 2^31-1 ms a Node timer takes (a longer one fires at once). */
const NO_GRACE_LIMIT = 2 ** 31 - 1 - 10_000;

/** What the supervisor needs from the launcher. */
export interface SupervisorOptions {
  /** Parse the configuration again (SIGHUP): argv and files as at start. */
  reload(): { options: NghttpxOptions; warnings: string[] };
  /** The script to fork for worker processes and to start on SIGUSR2. */
  script: string;
  /** The command line to start a new copy with (SIGUSR2). */
  argv: string[];
}

/** A running nghttpx: listeners plus the workers of the current configuration. */
export class Supervisor {
  private listeners: Listener[] = [];
  private workers!: Workers;
  private options: NghttpxOptions;
  private closing = false;
  private reloading: Promise<void> = Promise.resolve();
  private readonly tid = Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  private errorLog: (line: string) => void;
  /** Draining worker sets, oldest first (for --max-worker-processes). */
  private readonly retired: Workers[] = [];
  /**
   * Generated TLS ticket keys, renewed hourly here and given to every worker (and kept across
   * reloads), so any worker process resumes a session another one began. Made when a
   * configuration has a TLS frontend and no --tls-ticket-key-file.
   */
  private ticketKeys: TicketKeyRing | undefined;

  constructor(
    options: NghttpxOptions,
    private readonly so: SupervisorOptions,
  ) {
    this.options = options;
    const sink = options.errorlogSyslog ? undefined : fileSink(options.errorlogFile);
    this.errorLog = sink ? (l) => sink.write(l) : (l) => void process.stderr.write(l + '\n');
  }

  /** Log as the error log does (the supervisor's own lines). */
  log(level: LogLevel, msg: string): void {
    if (levelEnabled(level, this.options.logLevel))
      this.errorLog(formatErrorLine(Date.now(), process.pid, process.pid, this.tid, level, 'supervisor.ts', msg));
  }

  /** Workers for one configuration; resolves once they serve. */
  private async makeWorkers(o: NghttpxOptions): Promise<Workers> {
    if (!this.ticketKeys && o.frontends.some((f) => !f.noTls) && o.tlsTicketKeyFiles.length === 0 && !o.tlsTicketKeyMemcached)
      this.ticketKeys = renewingRing(
        o.tlsTicketKeyCipher,
        (m) => this.log('NOTICE', m),
        (ring) => {
          if (this.workers instanceof ChildWorkers) this.workers.sendTicketKeys(keysToWire(ring.list));
        },
      );
    // --user: as the reference, the workers drop root and this process keeps it (to bind new
    // ports on SIGHUP), so one worker is a process of its own unless --single-process.
    if ((o.workers <= 1 && !o.user) || o.singleProcess) return new InProcessWorkers(o, {}, { ticketKeys: this.ticketKeys });
    const w = new ChildWorkers(o, this.so.script, (m) => this.log('WARN', m), this.ticketKeys);
    try {
      await w.ready;
    } catch (err) {
      w.destroy();
      throw err;
    }
    this.log('NOTICE', `Worker processes [${w.pids.join(', ')}] spawned`);
    return w;
  }

  /** Bind (or adopt) the listeners of `o` that are not open yet; close the ones `o` no longer has. */
  private async syncListeners(o: NghttpxOptions): Promise<void> {
    const inherited = inheritedFds();
    const next: Listener[] = [];
    const opened: Listener[] = [];
    try {
      for (let i = 0; i < o.frontends.length; i++) {
        const key = listenerKey(o.frontends[i]);
        const have = this.listeners.find((l) => l.key === key);
        if (have) {
          have.frontendIndex = i;
          next.push(have);
          continue;
        }
        // Accepted sockets stay paused until a worker takes them (none of their bytes is read here).
        const l = await openListener(o.frontends[i], i, (socket, index) => this.dispatch(socket, index), {
          backlog: o.backlog,
          pauseOnConnect: true,
          fd: inherited.get(key),
        });
        opened.push(l);
        next.push(l);
      }
    } catch (err) {
      await Promise.all(opened.map(closeListener));
      throw err;
    }
    for (const l of this.listeners) if (!next.includes(l)) void closeListener(l);
    this.listeners = next;
    for (const l of opened) this.log('NOTICE', `Listening on ${l.address}`);
  }

  private dispatch(socket: net.Socket, index: number): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.workers.dispatch(socket, index);
  }

  /** Start: workers first, then the listeners. */
  async start(): Promise<void> {
    this.workers = await this.makeWorkers(this.options);
    try {
      await this.syncListeners(this.options);
    } catch (err) {
      this.workers.destroy();
      throw err;
    }
    this.writePidFile();
    // --single-process --user: the one process drops root once bound (as the reference).
    if (this.options.singleProcess && this.options.user) dropPrivileges(lookupUser(this.options.user));
    this.quitOriginal();
  }

  /** In a copy started by SIGUSR2, now serving: the original process drains and exits. */
  private quitOriginal(): void {
    const pid = Number(process.env[ORIGINAL_PID_ENV]);
    delete process.env[ORIGINAL_PID_ENV];
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return;
    try {
      process.kill(pid, 'SIGQUIT');
      this.log('NOTICE', `Sent SIGQUIT to the original main process ${pid}`);
    } catch (err) {
      this.log('WARN', `could not signal the original main process ${pid}: ${(err as Error).message}`);
    }
  }

  /** Bound addresses and ports, in `-f` order. */
  get addresses(): string[] {
    return this.listeners.map((l) => l.address);
  }

  get ports(): number[] {
    return this.listeners.map((l) => l.port);
  }

  private writePidFile(): void {
    if (!this.options.pidFile) return;
    try {
      fs.writeFileSync(this.options.pidFile, `${process.pid}\n`);
    } catch (err) {
      this.log('ERROR', `could not write the pid file ${this.options.pidFile}: ${(err as Error).message}`);
    }
  }

  private removePidFile(): void {
    const f = this.options.pidFile;
    if (!f) return;
    try {
      // A new copy (SIGUSR2) may have written its own pid there since.
      if (fs.readFileSync(f, 'utf8').trim() === String(process.pid)) fs.unlinkSync(f);
    } catch {
      // gone already
    }
  }

  /** SIGHUP: a new configuration takes the new connections; the old workers drain. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      if (this.closing) return;
      this.log('NOTICE', 'Reloading configuration');
      let parsed;
      try {
        parsed = this.so.reload();
      } catch (err) {
        this.log('ERROR', `Failed to reload configuration: ${(err as Error).message}`);
        return;
      }
      let fresh: Workers;
      try {
        fresh = await this.makeWorkers(parsed.options);
      } catch (err) {
        this.log('ERROR', `Failed to start workers with the new configuration: ${(err as Error).message}`);
        return;
      }
      const old = this.workers;
      const oldOptions = this.options;
      this.options = parsed.options;
      this.workers = fresh;
      try {
        await this.syncListeners(parsed.options);
      } catch (err) {
        this.log('ERROR', `Failed to listen with the new configuration: ${(err as Error).message}`);
        this.options = oldOptions;
        this.workers = old;
        fresh.destroy();
        return;
      }
      for (const w of parsed.warnings) this.log('WARN', w);
      this.retire(old);
      this.writePidFile();
    });
    return this.reloading;
  }

  /** Let old workers drain, within --worker-process-grace-shutdown-period and --max-worker-processes. */
  private retire(old: Workers): void {
    this.retired.push(old);
    // "Specifying 0 means no limit and it is the default behaviour" (a timer's longest delay here).
    const grace = this.options.workerProcessGraceShutdownPeriod;
    void old.drain(grace ? grace : NO_GRACE_LIMIT).then(() => {
      const i = this.retired.indexOf(old);
      if (i >= 0) this.retired.splice(i, 1);
    });
    const max = this.options.maxWorkerProcesses;
    while (max && this.retired.length > 0 && this.retired.length + 1 > max) this.retired.shift()!.destroy();
  }

  /** SIGUSR1: reopen the log files, in every worker. */
  reopenLogs(): void {
    this.log('NOTICE', 'Reopening log files');
    this.workers.reopenLogs();
  }

  /**
   * SIGUSR2: start a new copy of this program that listens on the same sockets (inherited file
   * descriptors). This one keeps serving until the copy, once it serves, sends it SIGQUIT.
   */
  execNew(): void {
    const fds: number[] = [];
    const pairs: string[] = [];
    for (const l of this.listeners) {
      const fd = listenerFd(l.server);
      if (fd === undefined) continue;
      pairs.push(`${l.key}=${3 + fds.length}`);
      fds.push(fd);
    }
    const child = spawn(
      process.execPath,
      [...process.execArgv.filter((a) => !a.startsWith('--inspect')), this.so.script, ...this.so.argv],
      {
        stdio: ['ignore', 'inherit', 'inherit', ...fds],
        env: { ...process.env, [LISTENER_FDS_ENV]: pairs.join('|'), [ORIGINAL_PID_ENV]: String(process.pid) },
        detached: true,
      },
    );
    child.on('error', (err) => this.log('ERROR', `could not start a new copy: ${err.message}`));
    child.unref();
    this.log('NOTICE', `Executed new binary: pid ${child.pid}`);
  }

  /** SIGQUIT: stop accepting, let every worker finish what is in flight. */
  async shutdown(timeoutMs = 30_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.log('NOTICE', 'Graceful shutdown signal received');
    await this.reloading;
    // Not awaited: a net.Server's close callback waits for every connection it accepted to end.
    for (const l of this.listeners) l.server.close();
    await Promise.all([this.workers.drain(timeoutMs), ...this.retired.map((w) => w.drain(timeoutMs))]);
    this.ticketKeys?.stop();
    this.removePidFile();
  }

  /** Stop now. */
  destroy(): void {
    this.closing = true;
    for (const l of this.listeners) l.server.close();
    this.workers?.destroy();
    for (const w of this.retired) w.destroy();
    this.ticketKeys?.stop();
    this.removePidFile();
  }
}
