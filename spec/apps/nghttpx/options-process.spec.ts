/**
 * nghttpx's process options, ours beside Debian's /usr/sbin/nghttpx: --user (workers run as that
 * account; root only, as the reference drops privileges only when it has them; an unknown name
 * stops the start-up), --worker-process-grace-shutdown-period and --max-worker-processes (after a
 * SIGHUP reload, the old worker's request in flight is cut when either limit says so).
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as http2 from 'http2';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { freePort, type Nghttpx, OUR_NGHTTPX, runClient, spawnNghttpx, stopProcess } from './helpers';
import { until } from '../../helpers/wait';

const HAS_REF = fs.existsSync('/usr/sbin/nghttpx');
const t_ = HAS_REF ? test.serial : test.serial.skip;
const IS_ROOT = process.getuid?.() === 0;
const NOBODY = (() => {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  return line ? Number(line.split(':')[2]) : undefined;
})();
const tRoot = HAS_REF && IS_ROOT && NOBODY !== undefined ? test.serial : test.serial.skip;
const IMPLS: Nghttpx[] = ['reference', 'ours'];

/**
 * A backend answering `tag` at once, or after release() for /hold (60 s at most: a bound, far
 * past what a reload takes at load 25, so that only the proxy's limit can cut a held request).
 */
async function backend(tag: string): Promise<{ port: number; held: () => number; release(): void; stop(): Promise<void> }> {
  const waiting: (() => void)[] = [];
  let held = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    const answer = () => res.end(tag);
    if (!req.url!.startsWith('/hold')) return answer();
    held++;
    const t = setTimeout(answer, 60000);
    waiting.push(() => {
      clearTimeout(t);
      answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    held: () => held,
    release: () => {
      for (const w of waiting.splice(0)) w();
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One h2 GET on its own connection: the status and body, or 0 and what went wrong. */
function h2get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const c = http2.connect(`http://127.0.0.1:${port}`);
    c.on('error', () => resolve({ status: 0, body: 'connection error' }));
    const req = c.request({ ':path': p });
    let status = 0;
    let body = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      c.close();
      resolve({ status, body });
    });
    req.on('error', () => {
      c.destroy();
      resolve({ status: 0, body: 'stream error' });
    });
    req.on('close', () => resolve({ status, body: body || 'closed' }));
    req.end();
  });
}

/** The child processes of `pid`, and a process's real uid (Linux /proc). */
const childrenOf = (pid: number): number[] => {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const uidOf = (pid: number): number | undefined => {
  try {
    return Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
};

/**
 * Start a proxy on a conf file, hold one request on backend A, switch the conf to backend B and
 * SIGHUP, wait until new connections see B, then see what became of the held request.
 */
async function reloadWithHeld(limits: string[]): Promise<Record<string, { held: { status: number; body: string } }>> {
  const a = await backend('A');
  const b = await backend('B');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-grace-'));
  const out: Record<string, { held: { status: number; body: string } }> = {};
  try {
    for (const name of IMPLS) {
      const port = await freePort();
      const conf = path.join(dir, `${name}.conf`);
      const write = (be: number) =>
        fs.writeFileSync(
          conf,
          [`frontend=127.0.0.1,${port};no-tls`, `backend=127.0.0.1,${be}`, 'errorlog-file=/dev/null', ...limits, ''].join('\n'),
        );
      write(a.port);
      const proc = await spawnNghttpx(name, [`--conf=${conf}`], [port]);
      try {
        const before = a.held();
        const inFlight = h2get(port, '/hold');
        await until(() => a.held() > before);
        write(b.port);
        proc.kill('SIGHUP');
        // A reload starts new workers: processes that can take 20 s to start at load 25 (a bound, not a speed check).
        await until(async () => (await h2get(port, '/new')).body === 'B', { intervalMs: 250, timeoutMs: 60000 });
        // Not released: only a limit can end it before the backend's own 60 s.
        out[name] = { held: await inFlight };
        a.release();
      } finally {
        await stopProcess(proc);
      }
    }
    return out;
  } finally {
    a.release();
    await a.stop();
    await b.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

t_(
  '--worker-process-grace-shutdown-period: the old worker is stopped after it, its request in flight cut (ours and the reference alike)',
  async (t) => {
    const r = await reloadWithHeld(['worker-process-grace-shutdown-period=500ms']);
    t.deepEqual(r.ours, r.reference);
    t.not(r.ours.held.status, 200, JSON.stringify(r.ours));
  },
);

t_(
  '--max-worker-processes=1: a reload stops the old worker at once, its request in flight cut (ours and the reference alike)',
  async (t) => {
    const r = await reloadWithHeld(['max-worker-processes=1']);
    t.deepEqual(r.ours, r.reference);
    t.not(r.ours.held.status, 200, JSON.stringify(r.ours));
  },
);

tRoot('--user=nobody: the worker serves as nobody, the main process stays root; --single-process drops in the one process', async (t) => {
  const be = await backend('A');
  const seen: Record<string, unknown> = {};
  try {
    for (const name of IMPLS)
      for (const single of [false, true]) {
        const port = await freePort();
        const proc = await spawnNghttpx(
          name,
          [
            '--conf=/dev/null',
            '--errorlog-file=/dev/null',
            `-f127.0.0.1,${port};no-tls`,
            `-b127.0.0.1,${be.port}`,
            '--user=nobody',
            ...(single ? ['--single-process'] : []),
          ],
          [port],
        );
        try {
          const answer = await h2get(port, '/');
          // The reference's worker is a thread of a child process: its uid is the child's.
          const workers = childrenOf(proc.pid!);
          seen[`${name}${single ? ' single' : ''}`] = {
            answer,
            main: uidOf(proc.pid!),
            workers: single ? [] : workers.map(uidOf),
          };
        } finally {
          await stopProcess(proc);
        }
      }
    t.deepEqual(seen.ours, seen.reference);
    t.deepEqual(seen['ours single'], seen['reference single']);
    t.deepEqual(seen.ours, { answer: { status: 200, body: 'A' }, main: 0, workers: [NOBODY] });
    t.deepEqual(seen['ours single'], { answer: { status: 200, body: 'A' }, main: NOBODY, workers: [] });
  } finally {
    await be.stop();
  }
});

t_('--user with an unknown account: one error line naming it, non-zero exit, nothing served (ours and the reference alike)', async (t) => {
  const port = await freePort();
  const args = ['--conf=/dev/null', `-f127.0.0.1,${port};no-tls`, '-b127.0.0.1,9', '--user=no-such-user-xyz'];
  const ref = await runClient('/usr/sbin/nghttpx', args);
  const ours = await runClient(process.execPath, [OUR_NGHTTPX, ...args]);
  for (const r of [ref, ours]) {
    t.not(r.code, 0);
    t.regex(r.stderr, /user: failed to get uid from no-such-user-xyz/);
  }
});
