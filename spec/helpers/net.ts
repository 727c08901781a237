/** Sockets for specs: a free loopback port, and waiting for a server to accept. */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** Where spec processes reserve the ports they hand out (one file per port, shared by every process). */
const RESERVED = path.join(os.tmpdir(), 'nghttp2-ts-spec-ports');
/** How long a reservation holds: long enough for a spawned tool to start and bind. */
const RESERVED_MS = 120000;

/** Reserve `port` for this process unless another spec process reserved it lately. */
function reserve(port: number): boolean {
  const file = path.join(RESERVED, String(port));
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    try {
      if (Date.now() - fs.statSync(file).mtimeMs < RESERVED_MS) return false;
      fs.writeFileSync(file, String(process.pid)); // a stale reservation: taken over
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (bind it soon), from 10000-19999: outside the
 * kernel's ephemeral range (32768-60999 here), where every server bound to port 0 and every
 * outgoing connection takes its port, and apart from deadPort()'s 20000-32000. Each port handed out
 * is reserved for two minutes in a directory every spec process shares (ava's workers, and a second
 * suite run beside this one): two specs given the same port saw each other's requests (a backend
 * got another test's Forwarded header; a TLS client got a cleartext answer).
 */
export async function freePort(): Promise<number> {
  fs.mkdirSync(RESERVED, { recursive: true });
  for (let i = 0; i < 400; i++) {
    const port = 10000 + Math.floor(Math.random() * 10000);
    if (!reserve(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
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
