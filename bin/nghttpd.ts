/**
 * nghttpd's command line: flags -> NghttpdOptions -> the engine (lib/apps/nghttpd/server.ts);
 * `-n N` runs N worker processes sharing the port (Node cluster), `-D` detaches.
 */
import cluster from 'cluster';
import { spawn } from 'child_process';
import v8 = require('v8');
import { launch, Service, ToolError } from '../lib/apps/common/cli';
import { versionText } from '../lib/apps/common/version';
import { helpText, parseArgs } from '../lib/apps/nghttpd/options';
import { listenLines, startNghttpd, NghttpdServer } from '../lib/apps/nghttpd/server';

// A larger young generation: serving 100 KiB bodies allocates fast, and with 64 MiB semi-spaces
// fewer scavenges promote short-lived buffers (paired h2load runs: +10-50% at 100 KiB in 6 of 8,
// no change at 1 KiB, RSS unchanged at ~100 MB). A value given in NODE_OPTIONS or on the node
// command line wins.
if (![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('semi-space'))) {
  v8.setFlagsFromString('--max-semi-space-size=64');
}

async function main(): Promise<number | Service> {
  const argv = process.argv.slice(2);
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(versionText('nghttpd'));
    return 0;
  }
  const opts = parsed.options;
  if (cluster.isPrimary) for (const w of parsed.warnings) process.stderr.write(`nghttpd: warning: ${w}\n`);

  if (opts.daemon && !process.env.NGHTTPD_DAEMONIZED) {
    // -D: a detached copy of ourselves; this process returns at once, as daemon(3) does.
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, NGHTTPD_DAEMONIZED: '1' },
    });
    child.unref();
    return 0;
  }
  if (opts.daemon) process.chdir('/');

  if (opts.workers > 1 && cluster.isPrimary) {
    let stopping = false;
    const restarts: number[] = [];
    const fork = (index: number) => {
      const w = cluster.fork({ NGHTTPD_WORKER: String(index) });
      w.on('exit', (code, signal) => {
        if (stopping) return;
        process.stderr.write(`nghttpd: worker ${index} exited (${signal ?? code}); starting a new one\n`);
        const now = Date.now();
        restarts.push(now);
        while (restarts.length && restarts[0] < now - 10000) restarts.shift();
        // A worker that could not listen, or one that keeps dying, will not do better next time.
        if ((code === 1 && !signal) || restarts.length > 5) {
          stopping = true;
          for (const o of Object.values(cluster.workers ?? {})) o?.kill();
          process.exitCode = 1;
          return;
        }
        fork(index);
      });
    };
    // The listen line means "ready": print it once every worker listens.
    let listening = 0;
    cluster.on('listening', (_w, addr) => {
      if (++listening !== opts.workers || !(opts.verbose || opts.port === 0)) return;
      const family = addr.addressType === 6 || addr.addressType === 'udp6' ? 'IPv6' : 'IPv4';
      // Without -a the workers bind the unspecified address (dual-stack '::' where IPv6 exists).
      const address = addr.address ?? '::';
      for (const line of listenLines({ address, family, port: addr.port }, opts.address)) {
        process.stdout.write(line + '\n');
      }
    });
    for (let i = 0; i < opts.workers; i++) fork(i);
    // SIGTERM/SIGINT: each worker stops gracefully; we end when they all have.
    const workers = () => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    return {
      close: () => {
        stopping = true;
        const exits = workers().map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
        for (const w of workers()) w.process.kill('SIGTERM');
        return Promise.all(exits).then(() => undefined);
      },
      destroy: () => {
        for (const w of workers()) w.process.kill('SIGKILL');
      },
    };
  }

  // One request's bug must not take every connection down: log it and keep serving.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`nghttpd: internal error (request dropped): ${(reason as Error)?.stack ?? String(reason)}\n`);
  });
  const index = Number(process.env.NGHTTPD_WORKER ?? 0);
  let server: NghttpdServer;
  try {
    server = await startNghttpd(opts, {
      out: process.stdout,
      err: process.stderr,
      color: opts.color || process.stdout.isTTY === true,
      firstId: index + 1,
      idStep: opts.workers,
      printListen: opts.workers > 1 ? false : undefined,
    });
  } catch (e) {
    if (e instanceof ToolError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new ToolError(`could not listen on ${opts.address ?? '*'}:${opts.port}: ${err.code ?? err.message}`);
  }
  return server;
}

launch('nghttpd', main);
