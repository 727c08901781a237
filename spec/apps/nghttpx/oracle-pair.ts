/**
 * Debian's nghttpx and ours side by side for the oracle specs: the same arguments to both, each on
 * its own cleartext frontend, and a scenario run against one after the other.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from '../../../lib/apps/nghttpx/options';
import { startNghttpx } from '../../../lib/apps/nghttpx/proxy';
import { freePort, OUR_NGHTTPX, spawnServer, stopProcess } from './helpers';

/** Whether Debian's nghttpx is installed. */
export const HAS_REF = fs.existsSync('/usr/sbin/nghttpx');

/** One of the two proxies. */
export interface Proxy {
  name: 'reference' | 'ours';
  port: number;
}

/** A scratch folder holding an empty configuration file (keeps Debian's nghttpx from reading /etc/nghttpx/nghttpx.conf). */
function scratch(): { conf: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-pair-'));
  const conf = path.join(dir, 'empty.conf');
  fs.writeFileSync(conf, '');
  return { conf, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Both proxies as processes with the same arguments (`wrap` rewrites each command line, e.g. to
 * run it under prlimit), each with its own cleartext frontends: one per entry of `frontends` (its
 * parameters), the first one's port as `port`. Their error logs go to their stderr, whose end a
 * start-up failure quotes (helpers.ts spawnServer).
 */
export async function both(
  args: string[],
  wrap: (cmd: string[]) => string[] = (c) => c,
  frontends: string[] = ['no-tls'],
): Promise<{ proxies: (Proxy & { ports: number[] })[]; ref: number; ours: number; stop(): Promise<void> }> {
  const { conf, remove } = scratch();
  const ports = async () => {
    const out: number[] = [];
    for (let i = 0; i < frontends.length; i++) out.push(await freePort());
    return out;
  };
  const [ref, ours] = [await ports(), await ports()];
  const start = (name: string, cmd: string[], at: number[]) => {
    const [file, ...rest] = wrap([...cmd, ...at.map((port, i) => `-f127.0.0.1,${port};${frontends[i]}`), `--conf=${conf}`, ...args]);
    return spawnServer(name, file, rest, at);
  };
  const started = await Promise.allSettled([
    start('Debian nghttpx', ['/usr/sbin/nghttpx', '--single-process'], ref),
    start('our nghttpx', [process.execPath, OUR_NGHTTPX], ours),
  ]);
  const procs = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(procs.map((p) => stopProcess(p)));
    remove();
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return {
    proxies: [
      { name: 'reference', port: ref[0], ports: ref },
      { name: 'ours', port: ours[0], ports: ours },
    ],
    ref: ref[0],
    ours: ours[0],
    stop,
  };
}

/** Run `scenario` against both proxies (the reference first) and return both views. */
export async function compare<V>(
  args: string[],
  scenario: (port: number) => Promise<V>,
  wrap?: (cmd: string[]) => string[],
): Promise<{ reference: V; ours: V }> {
  const p = await both(args, wrap);
  try {
    const out: Record<string, V> = {};
    for (const x of p.proxies) out[x.name] = await scenario(x.port);
    return out as { reference: V; ours: V };
  } finally {
    await p.stop();
  }
}

/**
 * Ours in this process (startNghttpx, its error log dropped) and the reference as a process, with
 * `ours` and `ref` as their arguments (`ref` defaults to `ours`); `PORT` in an argument becomes
 * each one's own frontend port.
 */
export async function inProcessPair(
  ours: string[],
  ref: string[] = ours,
): Promise<{ oursPort: number; refPort: number; stop(): Promise<void> }> {
  const { conf, remove } = scratch();
  const at = (list: string[], port: number) => [`--conf=${conf}`, ...list.map((a) => a.replace('PORT', String(port)))];
  const oursPort = await freePort();
  const parsed = parseArgs(at(ours, oursPort));
  if (parsed.kind !== 'run') {
    remove();
    throw new Error(`our nghttpx does not run with ${ours.join(' ')}`);
  }
  const proxy = await startNghttpx(parsed.options, { errorLog: () => undefined });
  const refPort = await freePort();
  try {
    const proc = await spawnServer('Debian nghttpx', '/usr/sbin/nghttpx', ['--single-process', ...at(ref, refPort)], [refPort]);
    return {
      oursPort,
      refPort,
      stop: async () => {
        await proxy.shutdown(1000);
        await stopProcess(proc);
        remove();
      },
    };
  } catch (e) {
    await proxy.shutdown(500);
    remove();
    throw e;
  }
}
