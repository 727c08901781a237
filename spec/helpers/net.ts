/** Sockets for specs: a free loopback port, and waiting for a server to accept. */
import * as net from 'net';

/** Ports this process handed out lately: not handed out again for a while. */
const handedOut = new Map<number, number>();
const HANDED_OUT_MS = 120000;

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (bind it soon), from 10000-19999: outside the
 * kernel's ephemeral range (32768-60999 here), where every server bound to port 0 and every
 * outgoing connection takes its port, and apart from deadPort()'s 20000-32000. A port from the
 * ephemeral range could be taken by another spec's port-0 server between this call and the bind:
 * the spawned server then failed with EADDRINUSE while the other one answered its clients (an
 * --ocsp-startup spec saw a cleartext answer, "wrong version number", at load 1).
 */
export async function freePort(): Promise<number> {
  const now = Date.now();
  for (const [port, at] of handedOut) if (now - at > HANDED_OUT_MS) handedOut.delete(port);
  for (let i = 0; i < 200; i++) {
    const port = 10000 + Math.floor(Math.random() * 10000);
    if (handedOut.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) {
      handedOut.set(port, Date.now());
      return port;
    }
  }
  throw new Error('no free port found in 10000-19999');
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
