/**
 * Where nghttpx's log lines go: a file (reopened on SIGUSR1, for logrotate), stderr/stdout, or the
 * local syslog socket (`errorlog-syslog`, `accesslog-syslog`; RFC 3164 lines to /dev/log).
 */
import { spawn } from 'child_process';
import fs = require('fs');

/** A place log lines go. */
export interface LogSink {
  /** Write one line (without its newline). */
  write(line: string): void;
  /** Reopen the file (after logrotate moved it); no-op for other sinks. */
  reopen(): void;
  close(): void;
}

/** A sink on a path: `/dev/stderr` and `/dev/stdout` are the process's streams; files are appended to. */
export function fileSink(path: string): LogSink {
  if (path === '/dev/stderr') return { write: (l) => void process.stderr.write(l + '\n'), reopen: () => undefined, close: () => undefined };
  if (path === '/dev/stdout') return { write: (l) => void process.stdout.write(l + '\n'), reopen: () => undefined, close: () => undefined };
  let fd = fs.openSync(path, 'a');
  return {
    write: (l) => {
      try {
        fs.writeSync(fd, l + '\n');
      } catch {
        // A full disk or a revoked file must not stop the proxy.
      }
    },
    reopen: () => {
      const next = fs.openSync(path, 'a');
      const old = fd;
      fd = next;
      fs.closeSync(old);
    },
    close: () => fs.closeSync(fd),
  };
}

/** Syslog facilities by name (RFC 5424 section 6.2.1). */
export const SYSLOG_FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** Syslog severities of nghttpx's log levels. */
const SEVERITY: Record<string, number> = { FATAL: 2, ERROR: 3, WARN: 4, NOTICE: 5, INFO: 6 };

/**
 * A sink writing to the local syslog socket (`socketPath`, default /dev/log) with RFC 3164
 * priorities. Node has no AF_UNIX datagram sockets, so one `logger --prio-prefix` child (util-linux)
 * carries the lines. Undefined when there is no such socket or no `logger` (the caller warns and
 * uses stderr). `level` gives each line's severity.
 */
export function syslogSink(facility: number, level: (line: string) => string, socketPath = '/dev/log'): LogSink | undefined {
  try {
    if (!fs.statSync(socketPath).isSocket()) return undefined;
  } catch {
    return undefined;
  }
  const logger = ['/usr/bin/logger', '/bin/logger'].find((p) => fs.existsSync(p));
  if (!logger) return undefined;
  const child = spawn(logger, ['--prio-prefix', '-t', 'nghttpx', '-u', socketPath, '--socket-errors=off'], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  let failed = false;
  child.on('error', () => (failed = true));
  child.on('exit', () => (failed = true));
  child.stdin.on('error', () => (failed = true));
  return {
    write: (line) => {
      if (failed) {
        process.stderr.write(line + '\n');
        return;
      }
      child.stdin.write(`<${facility * 8 + (SEVERITY[level(line)] ?? 5)}>${line}\n`);
    },
    reopen: () => undefined,
    close: () => child.stdin.end(),
  };
}
