/** Sockets for specs: a free loopback port, and waiting for a server to accept. */
import * as net from 'net';

/** A TCP port on 127.0.0.1 that was free a moment ago (bind it soon). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Resolve once 127.0.0.1:port accepts a connection; reject after `ms` (20 s: a spawned Node tool
 * can take seconds to start on a loaded machine), or at once when `gone()` returns a reason (say,
 * the server process exited: no use waiting for it).
 */
export async function waitForPort(port: number, ms = 20000, gone?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const reason = gone?.();
    if (reason !== undefined) throw new Error(`nothing listens on 127.0.0.1:${port}: ${reason}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A loopback port where nothing listens, outside the kernel's ephemeral range
 * (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 here), so that no server bound to port 0
 * (ours or another spec's) can take it later. A "dead" port from freePort() is free only for a
 * moment: once it was handed to the proxy's own port-0 frontend, and the proxy forwarded /dead/
 * to itself until the header list overflowed (a 400 carrying x-added dozens of times).
 */
export async function deadPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
    });
    if (refused) return port;
  }
  throw new Error('no refused port found in 20000-32000');
}
