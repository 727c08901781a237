/**
 * Debian's nghttpx and ours side by side for the oracle specs: the same arguments to both, each on
 * its own cleartext frontend, and a scenario run against one after the other.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, own, OUR_NGHTTPX, stopProcess, waitForPort } from './helpers';

/** Whether Debian's nghttpx is installed. */
export const HAS_REF = fs.existsSync('/usr/sbin/nghttpx');

/** One of the two proxies. */
export interface Proxy {
  name: 'reference' | 'ours';
  port: number;
}

/** Both proxies with the same arguments (`wrap` rewrites each command line, e.g. to run it under prlimit), each on its own cleartext frontend. */
export async function both(
  args: string[],
  wrap: (cmd: string[]) => string[] = (c) => c,
): Promise<{ proxies: Proxy[]; stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-pair-'));
  const conf = path.join(dir, 'empty.conf');
  fs.writeFileSync(conf, '');
  const ref = await freePort();
  const ours = await freePort();
  const common = [`--conf=${conf}`, '--errorlog-file=/dev/null', ...args];
  const start = (cmd: string[]) => {
    const [file, ...rest] = wrap(cmd);
    return own(spawn(file, rest, { stdio: 'ignore' }));
  };
  const a = start(['/usr/sbin/nghttpx', '--single-process', `-f127.0.0.1,${ref};no-tls`, ...common]);
  const b = start([process.execPath, OUR_NGHTTPX, `-f127.0.0.1,${ours};no-tls`, ...common]);
  const stop = async () => {
    await Promise.all([stopProcess(a), stopProcess(b)]);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all([waitForPort(ref, 20000), waitForPort(ours, 20000)]);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    proxies: [
      { name: 'reference', port: ref },
      { name: 'ours', port: ours },
    ],
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
