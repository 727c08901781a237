/**
 * Debian's memcached as a peer of the nghttpx specs: started on a free loopback port (optionally
 * with TLS), with a client of ours to look at what the proxies stored, and stopped by the spec.
 */
import * as fs from 'fs';
import { MemcachedClient } from '../../../lib/apps/nghttpx/memcached';
import { freePort, spawnServer, stopProcess } from './helpers';

/** Where Debian's memcached lives (`apt-get install memcached`; CI installs it). */
export const MEMCACHED = '/usr/bin/memcached';
/** Whether memcached is installed; specs skip with this message when it is not. */
export const HAS_MEMCACHED = fs.existsSync(MEMCACHED);
export const NO_MEMCACHED = `memcached is not installed (${MEMCACHED}; apt-get install memcached)`;

/** A running memcached. */
export interface Memcached {
  port: number;
  /** `127.0.0.1,PORT` (plus `;tls`), as the nghttpx options take it. */
  address: string;
  /** A client of ours on it (cleartext servers only). */
  client: MemcachedClient | undefined;
  stop(): Promise<void>;
}

/** TLS for memcached: its certificate and key, and the CA a client certificate must chain to (then one is required). */
export interface MemcachedTls {
  cert: string;
  key: string;
  clientCa?: string;
}

/** Start memcached on a free port (UDP off); with `tls`, it speaks TLS only. */
export async function startMemcached(tls?: MemcachedTls): Promise<Memcached> {
  const port = await freePort();
  const args = ['-p', String(port), '-l', '127.0.0.1', '-U', '0', '-m', '16'];
  // memcached refuses to run as root without a user to switch to; staying root lets it read the
  // spec's key files in their private folder.
  if (process.getuid?.() === 0) args.push('-u', 'root');
  if (tls) {
    const o = [`ssl_chain_cert=${tls.cert}`, `ssl_key=${tls.key}`];
    if (tls.clientCa) o.push('ssl_verify_mode=2', `ssl_ca_cert=${tls.clientCa}`);
    args.push('-Z', '-o', o.join(','));
  }
  const proc = await spawnServer('memcached', MEMCACHED, args, [port]);
  const client = tls ? undefined : new MemcachedClient({ address: { host: '127.0.0.1', port, tls: false }, family: 'IPv4' });
  return {
    port,
    address: `127.0.0.1,${port}${tls ? ';tls' : ''}`,
    client,
    stop: async () => {
      client?.close();
      await stopProcess(proc);
    },
  };
}
