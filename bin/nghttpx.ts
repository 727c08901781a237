/**
 * nghttpx's command line: flags and configuration files -> NghttpxOptions -> the supervisor
 * (lib/apps/nghttpx/supervisor.ts), through the CLI kit's launcher. Signals: SIGQUIT drains and
 * exits, SIGHUP reloads the configuration, SIGUSR1 reopens the logs, SIGUSR2 starts a new copy
 * on the same listeners; SIGTERM/SIGINT exit at once. `-D` runs it in the background.
 */
import { spawn } from 'child_process';
import { launch, Service } from '../lib/apps/common/cli';
import { helpText } from '../lib/apps/nghttpx/help';
import { formatErrorLine } from '../lib/apps/nghttpx/log';
import { NGHTTPX_VERSION, parseArgs, UsageError } from '../lib/apps/nghttpx/options';
import { Supervisor } from '../lib/apps/nghttpx/supervisor';
import { runWorker, WORKER_ENV } from '../lib/apps/nghttpx/workers';

/** Set in the copy a `-D` run starts in the background. */
const DAEMON_ENV = 'NGHTTPX_TS_DAEMONIZED';

function logLine(level: 'WARN' | 'ERROR' | 'FATAL' | 'NOTICE', msg: string): void {
  process.stderr.write(formatErrorLine(Date.now(), process.pid, process.pid, '00000000', level, 'nghttpx.ts', msg) + '\n');
}

/** -D: start this program again detached from the terminal, cwd '/', and return once it serves. */
function daemonize(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
      cwd: '/',
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, [DAEMON_ENV]: '1' },
    });
    child.once('message', (m: { ok: boolean; message?: string }) => {
      if (!m.ok) logLine('FATAL', m.message ?? 'failed to start');
      child.disconnect();
      child.unref();
      resolve(m.ok ? 0 : 1);
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number | Service> {
  const argv = process.argv.slice(2);
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`nghttpx nghttp2-ts/${NGHTTPX_VERSION}\n`);
    return 0;
  }
  const o = parsed.options;
  if (o.daemon && !process.env[DAEMON_ENV]) return daemonize(argv);
  const sup = new Supervisor(o, {
    reload: () => {
      const p = parseArgs(argv);
      if (p.kind !== 'run') throw new UsageError('the command line no longer starts the proxy');
      return p;
    },
    script: process.argv[1],
    argv,
  });
  supervisor = sup;
  if (o.conf) sup.log('NOTICE', `Loading configuration from ${o.conf}`);
  for (const w of parsed.warnings) sup.log('WARN', w);
  try {
    await sup.start();
  } catch (err) {
    if (process.env[DAEMON_ENV] && process.send) process.send({ ok: false, message: (err as Error).message });
    throw err;
  }
  if (process.env[DAEMON_ENV] && process.send) {
    process.send({ ok: true });
    process.disconnect();
  }
  return { close: () => sup.shutdown(), destroy: () => sup.destroy() };
}

let supervisor: Supervisor | undefined;

if (process.env[WORKER_ENV]) runWorker();
else {
  launch('nghttpx', main, {
    signals: {
      SIGQUIT: () => {
        const s = supervisor;
        if (!s) process.exit(0);
        s.shutdown().then(
          () => {
            s.log('NOTICE', 'Shutdown momentarily');
            process.exit(0);
          },
          (err: Error) => {
            s.log('ERROR', `graceful shutdown failed: ${err.message}`);
            s.destroy();
            process.exit(1);
          },
        );
      },
      SIGHUP: () => void supervisor?.reload(),
      SIGUSR1: () => supervisor?.reopenLogs(),
      SIGUSR2: () => supervisor?.execNew(),
      // SIGTERM/SIGINT: exit at once, as the reference does.
      SIGTERM: () => {
        supervisor?.destroy();
        process.exit(0);
      },
      SIGINT: () => {
        supervisor?.destroy();
        process.exit(0);
      },
    },
    report: (message, kind) => {
      logLine('ERROR', message);
      logLine('FATAL', kind === 'usage' ? "Failed to parse command-line argument. Try 'nghttpx --help'." : 'Failed to start.');
    },
  });
}
