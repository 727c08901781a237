/**
 * nghttpx's engine for one configuration: logs, backend groups, forwarding and frontends put
 * together. {@link createEngine} serves sockets given to it (by a supervisor that owns the
 * listeners); {@link startNghttpx} also binds the `-f` addresses itself.
 */
import type * as net from 'net';
import type * as tls from 'tls';
import { FramePrinter } from '../printer/printer';
import { openHeaderDumps } from './header-dump';
import { Forwarder, ForwardingContext } from './forwarding';
import { parseBackend } from './addresses';
import { checkBackends } from './backend-rules';
import { Frontends } from './frontends';
import { BackendGroups } from './groups';
import { AccessRecord, compileFormat, formatAccessLine, formatErrorLine, levelEnabled } from './log';
import { fileSink, LogSink, SYSLOG_FACILITIES, syslogSink } from './log-sinks';
import { closeListener, Listener, openListener } from './listeners';
import type { LogLevel, NghttpxOptions } from './options';
import { startOcsp } from './ocsp';
import { frontendTlsOptions } from './tls';
import { chooseTicketKeys, TicketKeyRing } from './ticket-keys';
import { MemcachedTicketKeys, startSessionCache } from './tls-memcached';

/** Where the logs go. */
export interface ProxyIO {
  /** Error log sink (text lines); default: `--errorlog-file` or syslog. */
  errorLog?: (line: string) => void;
}

/** One configuration serving sockets it is given. */
export interface NghttpxEngine {
  readonly options: NghttpxOptions;
  readonly frontends: Frontends;
  /** Serve a connection accepted on frontend `index` of this configuration. */
  accept(socket: net.Socket, index: number): void;
  /** Write an error log line. */
  log(level: LogLevel, where: string, msg: string): void;
  /** SIGUSR1: reopen the log files. */
  reopenLogs(): void;
  /** Graceful shutdown of the connections (not the listeners): GOAWAY, in-flight requests finish. */
  shutdown(timeoutMs?: number): Promise<void>;
  /** Close everything now. */
  destroy(): void;
  /** Settles once OCSP stapling had its first attempt for every certificate (`--ocsp-startup` waits for it). */
  readonly ocspReady: Promise<void>;
  /** The TLS session ticket keys of the frontends (undefined without a TLS frontend). */
  readonly ticketKeys: TicketKeyRing | undefined;
}

/** What an engine may share with the others of its process tree (given by the supervisor). */
export interface EngineShared {
  /** Generated ticket keys renewed by the supervisor, used when no key file is given. */
  ticketKeys?: TicketKeyRing;
}

/** A running proxy with its own listeners. */
export interface NghttpxProxy extends NghttpxEngine {
  /** Bound addresses, one per frontend, in `-f` order (`host:port` or `unix:PATH`). */
  readonly addresses: string[];
  /** Bound ports (0 for UNIX sockets). */
  readonly ports: number[];
  readonly listeners: Listener[];
}

const threadId = () =>
  Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');

/** The error log sink of a configuration: syslog, a file, or what `io` says. */
function errorSinkOf(o: NghttpxOptions, io: ProxyIO, warn: string[]): LogSink {
  if (io.errorLog) {
    const f = io.errorLog;
    return { write: f, reopen: () => undefined, close: () => undefined };
  }
  if (o.errorlogSyslog) {
    const level = (l: string) => / (INFO|NOTICE|WARN|ERROR|FATAL) /.exec(l)?.[1] ?? 'NOTICE';
    const s = syslogSink(SYSLOG_FACILITIES[o.syslogFacility] ?? 3, level);
    if (s) return s;
    warn.push('errorlog-syslog: no syslog socket at /dev/log; the error log goes to stderr');
    return fileSink('/dev/stderr');
  }
  return fileSink(o.errorlogFile);
}

function accessSinkOf(o: NghttpxOptions, log: (msg: string) => void): LogSink | undefined {
  if (o.accesslogSyslog) {
    const s = syslogSink(SYSLOG_FACILITIES[o.syslogFacility] ?? 3, () => 'NOTICE');
    if (s) return s;
    log('accesslog-syslog: no syslog socket at /dev/log; the access log goes to stderr');
    return fileSink('/dev/stderr');
  }
  return o.accesslogFile ? fileSink(o.accesslogFile) : undefined;
}

/** Build the engine of one configuration (no listeners). */
export function createEngine(o: NghttpxOptions, io: ProxyIO = {}, shared: EngineShared = {}): NghttpxEngine {
  const warnings: string[] = [];
  const errorSink = errorSinkOf(o, io, warnings);
  const tid = threadId();
  const log = (level: LogLevel, where: string, msg: string) => {
    if (levelEnabled(level, o.logLevel)) errorSink.write(formatErrorLine(Date.now(), process.pid, process.pid, tid, level, where, msg));
  };
  for (const w of warnings) log('WARN', 'proxy.ts', w);
  const accessSink = accessSinkOf(o, (m) => log('WARN', 'proxy.ts', m));
  const accessFormat = compileFormat(o.accesslogFormat);
  const access = (r: AccessRecord) => accessSink?.write(formatAccessLine(accessFormat, r));

  const groupsLog = (level: 'NOTICE' | 'WARN', msg: string) => log(level, 'groups.ts', msg);
  const ctx: ForwardingContext = {
    options: o,
    groups: new BackendGroups(o, o.backends, groupsLog),
    log,
    access,
    logsAccess: accessSink !== undefined,
  };
  const retired = new Set<BackendGroups>();
  // The `api` frontend: new backends take the next requests; the old ones finish what they
  // carry and close after --backend-read-timeout (their idle connections sooner, by keep-alive).
  ctx.api = {
    parseBackend: (v) => parseBackend(v),
    validate: (b) => checkBackends(b),
    replace: (b) => {
      const old = ctx.groups;
      ctx.groups = new BackendGroups(o, b, groupsLog);
      retired.add(old);
      setTimeout(() => {
        retired.delete(old);
        old.close();
      }, o.backendReadTimeout).unref();
    },
    // Changed by reloading the configuration (SIGHUP), not by the API, as the reference.
    configRevision: () => 0,
    maxRequestBody: o.apiMaxRequestBody,
    log: (level, msg) => log(level, 'api.ts', msg),
  };
  const forwarder = new Forwarder(ctx);
  const printer = o.frontendFrameDebug ? new FramePrinter({ write: (t) => errorSink.write(t.replace(/\n$/, '')) }) : undefined;
  const anyTls = o.frontends.some((f) => !f.noTls);
  // --tls-ticket-key-memcached comes before key files and generated keys, as the reference.
  const memcachedKeys =
    anyTls && o.tlsTicketKeyMemcached
      ? new MemcachedTicketKeys(o, new TicketKeyRing([], o.tlsTicketKeyCipher), (level, msg) => log(level, 'tls-memcached.ts', msg))
      : undefined;
  const tickets = memcachedKeys
    ? { ring: memcachedKeys.ring, owned: false }
    : anyTls
      ? chooseTicketKeys(o, shared.ticketKeys, (level, msg) => log(level, 'ticket-keys.ts', msg))
      : undefined;
  const tlsOptions = frontendTlsOptions(o, tickets?.ring);
  const dumps = openHeaderDumps(o.frontendHttp2DumpRequestHeader, o.frontendHttp2DumpResponseHeader);
  const frontends = new Frontends({
    options: o,
    tls: tlsOptions,
    forward: (req, client) => forwarder.forward(req, client),
    error: (msg) => log('ERROR', 'frontends.ts', msg),
    printer,
    dumps,
  });
  const tlsServers = frontends.list.filter((fe) => !fe.address.noTls).map((fe) => fe.acceptor.server as tls.Server);
  if (tickets) {
    for (const server of tlsServers) tickets.ring.install((server as tls.Server & { _sharedCreds: tls.SecureContext })._sharedCreds);
    if (!tickets.ring.callbackInstalled && tickets.ring.list.length > 1)
      log(
        'WARN',
        'ticket-keys.ts',
        'tls-ticket-key-file: this Node has no per-name ticket key callback; only the first key encrypts and decrypts',
      );
  }
  const ocsp = tlsOptions ? startOcsp(o, tlsServers, log) : undefined;
  const sessionCache = startSessionCache(o, tlsServers, (level, msg) => log(level, 'tls-memcached.ts', msg));
  let closed = false;
  const destroy = () => {
    closed = true;
    ocsp?.stop();
    memcachedKeys?.stop();
    sessionCache?.close();
    if (tickets?.owned) tickets.ring.stop();
    dumps.request?.close();
    dumps.response?.close();
    frontends.destroy();
    ctx.groups.close();
    for (const g of retired) g.close();
  };
  return {
    options: o,
    frontends,
    accept: (socket, index) => frontends.accept(socket, index),
    log,
    reopenLogs: () => {
      try {
        errorSink.reopen();
        accessSink?.reopen();
      } catch (err) {
        log('ERROR', 'proxy.ts', `could not reopen the log files: ${(err as Error).message}`);
      }
    },
    shutdown: async (timeoutMs = 30000) => {
      if (closed) return;
      await frontends.shutdown(timeoutMs);
      destroy();
    },
    destroy,
    ocspReady: ocsp?.ready ?? Promise.resolve(),
    ticketKeys: tickets?.ring,
  };
}

/** Start nghttpx with parsed options in this process; resolves once every frontend listens. */
export async function startNghttpx(o: NghttpxOptions, io: ProxyIO = {}): Promise<NghttpxProxy> {
  const engine = createEngine(o, io);
  if (o.conf) engine.log('NOTICE', 'proxy.ts', `Loading configuration from ${o.conf}`);
  // --ocsp-startup: "Start accepting connections after initial attempts to get OCSP responses finish."
  if (o.ocspStartup) await engine.ocspReady;
  const listeners: Listener[] = [];
  try {
    for (let i = 0; i < o.frontends.length; i++) {
      const l = await openListener(o.frontends[i], i, (socket, index) => engine.accept(socket, index), { backlog: o.backlog });
      listeners.push(l);
      engine.frontends.list[i].port = l.port || undefined;
    }
  } catch (err) {
    await Promise.all(listeners.map(closeListener));
    engine.destroy();
    throw err;
  }
  for (const l of listeners) engine.log('NOTICE', 'proxy.ts', `Listening on ${l.address}`);
  let closing = false;
  return {
    ...engine,
    addresses: listeners.map((l) => l.address),
    ports: listeners.map((l) => l.port),
    listeners,
    destroy: () => {
      for (const l of listeners) l.server.close();
      engine.destroy();
    },
    shutdown: async (timeoutMs = 30000) => {
      if (closing) return;
      closing = true;
      engine.log('NOTICE', 'proxy.ts', 'Graceful shutdown signal received');
      for (const l of listeners) l.server.close();
      await engine.shutdown(timeoutMs);
    },
  };
}
