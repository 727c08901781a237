/**
 * The one launcher every tool's bin/ script goes through: usage errors as one line and exit 1,
 * other failures as one line (a stack only with NGHTTP2_TS_DEBUG=1), a closed stdout (`| head`)
 * ends quietly, the exit waits for stdout to drain, and signals mean what they mean to the C
 * tools, except that none opens Node's inspector and SIGTERM/SIGINT stop a server gracefully.
 */
import fs = require('fs');
import { UsageError } from './units';

/** A long-running tool (a server): what the launcher stops on SIGTERM/SIGINT. */
export interface Service {
  /** Stop accepting, let in-flight work finish (GOAWAY), release everything. */
  close(): Promise<void>;
  /** Stop at once (a second SIGTERM/SIGINT, or when close() outlives the grace period). */
  destroy?(): void;
}

/** A signal a tool may give its own meaning to. */
export type ToolSignal = 'SIGHUP' | 'SIGUSR1' | 'SIGUSR2' | 'SIGQUIT' | 'SIGTERM' | 'SIGINT';

/** How a tool adjusts the launcher. */
export interface LaunchOptions {
  /**
   * Signals with a meaning of the tool's own (nghttpx: SIGHUP reloads, SIGUSR1 reopens logs,
   * SIGUSR2 upgrades, SIGQUIT stops gracefully). Each handler replaces the launcher's handling
   * of that signal. A SIGUSR1 handler still keeps the inspector shut: any listener does.
   */
  signals?: Partial<Record<ToolSignal, (signal: ToolSignal) => void>>;
  /** Print an error the tool's own way (nghttpx writes log lines); default `tool: message`. */
  report?: (message: string, kind: 'usage' | 'error') => void;
  /** How long close() may take on SIGTERM/SIGINT before destroy(). Default 10 s. */
  graceMs?: number;
}

/** A failure the user can act on (a missing file, a port in use): one line, exit 1, no stack. */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

/** Whether the kit's SIGUSR1 guard is installed (tests and nghttpx's hook read it). */
let usr1Guard: (() => void) | undefined;

/**
 * Keep SIGUSR1 from opening Node's inspector (127.0.0.1:9229 lets anyone on the host run code
 * in the process). Any listener replaces Node's handler; ours then does what the C tools do
 * on SIGUSR1 (they install no handler, so it ends them): it removes itself and raises the
 * signal again, now with the default action, so the exit status says "killed by SIGUSR1".
 * Called at import time of this module, i.e. before any tool code runs.
 */
export function guardInspectorSignal(): void {
  if (usr1Guard) return;
  usr1Guard = () => {
    process.removeListener('SIGUSR1', usr1Guard!);
    usr1Guard = undefined;
    process.kill(process.pid, 'SIGUSR1');
  };
  process.on('SIGUSR1', usr1Guard);
}
guardInspectorSignal();

/** One line for an error: usage errors and ToolErrors as they are, errno errors by message. */
function describe(err: unknown): { line: string; internal: boolean } {
  if (err instanceof UsageError || err instanceof ToolError) return { line: err.message, internal: false };
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return { line: e.message, internal: false };
  }
  const message = e instanceof Error ? e.message : String(err);
  return { line: `internal error: ${message} (NGHTTP2_TS_DEBUG=1 shows the stack; please report it)`, internal: true };
}

/**
 * For a tool that reads its input from stdin: a directory on stdin (`tool < dir/`) reads as
 * nothing at all, so say what it is; on a terminal, say what is awaited (Ctrl-D ends it).
 */
export function stdinIsReadable(tool: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.fstatSync(0);
  } catch {
    return; // no stdin at all: the read reports it
  }
  if (st.isDirectory()) throw new ToolError('stdin is a directory; give the input as a file or a pipe (tool < FILE)');
  if (process.stdin.isTTY)
    process.stderr.write(`${tool}: reading the input from the terminal; end it with Ctrl-D (see '${tool} --help')\n`);
}

/** Append `Try 'tool --help'.` to a usage error, in the same line. */
export function usageLine(tool: string, message: string): string {
  return `${tool}: ${message}${/[.?!]$/.test(message) ? '' : '.'} Try '${tool} --help'.`;
}

/**
 * Exit with `code` once stdout and stderr have drained (a pipe may still hold a body, or the
 * ~40000 lines nghttp -m 40000 prints against an early GOAWAY: writes to a pipe are not blocking).
 */
export function exitAfterDrain(code: number): void {
  process.exitCode = code;
  const pending = [process.stdout, process.stderr].find((s) => s.writableLength > 0);
  if (pending === undefined) process.exit(code);
  else pending.once('drain', () => exitAfterDrain(code));
}

function installSignals(opts: LaunchOptions, service: () => Service | undefined): void {
  const own = opts.signals ?? {};
  for (const [sig, handler] of Object.entries(own) as [ToolSignal, (s: ToolSignal) => void][]) {
    if (!handler) continue;
    if (sig === 'SIGUSR1' && usr1Guard) {
      process.removeListener('SIGUSR1', usr1Guard);
      usr1Guard = undefined;
    }
    process.on(sig, () => handler(sig));
  }
  let stopping = false;
  const stop = (sig: 'SIGTERM' | 'SIGINT') => {
    const s = service();
    if (!s) {
      // Not a server (or not started yet): end by the signal itself, as the C tools do.
      process.removeListener(sig, listeners[sig]);
      process.kill(process.pid, sig);
      return;
    }
    if (stopping) {
      s.destroy?.();
      process.exit(1);
    }
    stopping = true;
    const grace = setTimeout(() => {
      s.destroy?.();
      process.exit(1);
    }, opts.graceMs ?? 10_000);
    grace.unref();
    s.close().then(
      () => exitAfterDrain(0),
      () => process.exit(1),
    );
  };
  const listeners = { SIGTERM: () => stop('SIGTERM'), SIGINT: () => stop('SIGINT') };
  for (const sig of ['SIGTERM', 'SIGINT'] as const) if (!own[sig]) process.on(sig, listeners[sig]);
}

/**
 * Run a tool. `main` returns an exit code (a client: the launcher exits with it once stdout
 * drained) or a Service (a server: it keeps running; SIGTERM/SIGINT close it gracefully and
 * exit 0, a second one or the grace period ends it at once). A UsageError becomes one line and
 * exit 1; any other failure one line and exit 1 (user-facing) or 2 (internal).
 */
export function launch(tool: string, main: () => Promise<number | Service>, opts: LaunchOptions = {}): void {
  const report = opts.report ?? ((message: string) => process.stderr.write(`${tool}: ${message}\n`));
  // A reader that went away (`| head`) ends the run quietly, as for any Unix filter.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  let service: Service | undefined;
  installSignals(opts, () => service);
  main().then(
    (r) => {
      if (typeof r === 'number') exitAfterDrain(r);
      else service = r;
    },
    (err: unknown) => {
      if (err instanceof UsageError) {
        if (opts.report) opts.report(err.message, 'usage');
        else process.stderr.write(usageLine(tool, err.message) + '\n');
        process.exit(1);
      }
      if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      const { line, internal } = describe(err);
      report(line, 'error');
      if (internal && process.env.NGHTTP2_TS_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(internal ? 2 : 1);
    },
  );
}
