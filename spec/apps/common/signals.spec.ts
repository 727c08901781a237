/**
 * Signals, as the launcher (lib/apps/common/cli.ts) handles them: SIGUSR1 never opens Node's
 * inspector (it ends the tool, as it ends the C tools); SIGTERM/SIGINT stop a server gracefully
 * (exit 0); SIGHUP and SIGUSR2 end the tools as they end the C tools.
 */
import test from 'ava';
import { spawn, ChildProcess } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import { repoRoot } from '../../helpers/repo';

const bin = (tool: string) => path.join(repoRoot(), 'bin', tool);

interface Started {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(tool: string, args: string[]): Started {
  const child = spawn(process.execPath, [bin(tool), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => err, exited };
}

/** Resolve once `child`'s stdout has printed a line matching `re` (bounded by `ms`). */
function waitForOutput(child: ChildProcess, re: RegExp, ms = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms: ${out}`)), ms);
    child.stdout!.on('data', (d) => {
      out += d;
      if (re.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** A TCP server that accepts and never answers; resolves `connected` on the first connection. */
async function silentServer(): Promise<{ port: number; connected: Promise<void>; close(): void }> {
  const sockets = new Set<net.Socket>();
  let onConn!: () => void;
  const connected = new Promise<void>((r) => (onConn = r));
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    onConn();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connected,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function kill(s: Started, signal: NodeJS.Signals) {
  s.child.kill(signal);
  const bound = setTimeout(() => s.child.kill('SIGKILL'), 30_000);
  const r = await s.exited;
  clearTimeout(bound);
  return r;
}

const INSPECTOR = /Debugger listening|inspector/i;

test('nghttpd: SIGUSR1 ends it without opening the inspector; SIGTERM and SIGINT exit 0 after a graceful close', async (t) => {
  for (const [signal, want] of [
    ['SIGUSR1', { code: null, signal: 'SIGUSR1' }],
    ['SIGTERM', { code: 0, signal: null }],
    ['SIGINT', { code: 0, signal: null }],
    ['SIGHUP', { code: null, signal: 'SIGHUP' }],
    ['SIGUSR2', { code: null, signal: 'SIGUSR2' }],
  ] as const) {
    const s = start('nghttpd', ['--no-tls', '-a', '127.0.0.1', '0']);
    await waitForOutput(s.child, /listen 127\.0\.0\.1:\d+/);
    const r = await kill(s, signal);
    t.deepEqual(r, want, `${signal}: ${s.stderr()}`);
    t.notRegex(s.stderr(), INSPECTOR, signal);
  }
});

for (const tool of ['nghttp', 'h2load'] as const) {
  test(`${tool}: SIGUSR1 while waiting on a silent server ends it without opening the inspector; SIGINT ends it`, async (t) => {
    for (const [signal, want] of [
      ['SIGUSR1', { code: null, signal: 'SIGUSR1' }],
      // A client has nothing to finish: SIGINT ends it at once, as it ends the C tool.
      ['SIGINT', { code: null, signal: 'SIGINT' }],
    ] as const) {
      const srv = await silentServer();
      try {
        const s = start(tool, [`http://127.0.0.1:${srv.port}/`]);
        await srv.connected;
        const r = await kill(s, signal);
        t.deepEqual(r, want, `${signal}: ${s.stderr()}`);
        t.notRegex(s.stderr(), INSPECTOR);
      } finally {
        srv.close();
      }
    }
  });
}
