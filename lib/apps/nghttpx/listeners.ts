/**
 * nghttpx's listening sockets, apart from what serves them: bound from `-f` addresses, or taken
 * over from the process that started us (SIGUSR2) by inherited file descriptors. Each accepted
 * socket goes to `onSocket(socket, frontendIndex)`; whoever owns the listeners decides which
 * configuration (or which worker process) serves it.
 */
import fs = require('fs');
import net = require('net');
import type { FrontendAddress } from './options';

/** Environment variable naming inherited listeners: `KEY=FD` pairs joined by `|`. */
export const LISTENER_FDS_ENV = 'NGHTTPX_TS_LISTENER_FDS';

/** One bound frontend address. */
export interface Listener {
  /** `HOST,PORT` or `unix:PATH` as configured: matches a frontend across reloads. */
  readonly key: string;
  readonly server: net.Server;
  /** `host:port` / `[v6]:port` / `unix:PATH`, for the "Listening on" line. */
  readonly address: string;
  /** The bound port (0 for UNIX sockets). */
  readonly port: number;
  /** Which frontend of the current configuration it feeds. */
  frontendIndex: number;
}

/** The key of a frontend address (what must match for a listener to be kept on reload). */
export function listenerKey(fe: FrontendAddress): string {
  return fe.unixPath !== undefined ? `unix:${fe.unixPath}` : `${fe.host},${fe.port}`;
}

/** Listeners inherited from our parent (SIGUSR2 hand-over), by key. */
export function inheritedFds(env: NodeJS.ProcessEnv = process.env): Map<string, number> {
  const out = new Map<string, number>();
  for (const pair of (env[LISTENER_FDS_ENV] ?? '').split('|')) {
    const eq = pair.lastIndexOf('=');
    if (eq > 0 && /^\d+$/.test(pair.slice(eq + 1))) out.set(pair.slice(0, eq), Number(pair.slice(eq + 1)));
  }
  return out;
}

/** The file descriptor of a bound server (for handing it to a new process), if the platform shows it. */
export function listenerFd(server: net.Server): number | undefined {
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** Options of {@link openListener}. */
export interface OpenOptions {
  backlog?: number;
  /** Workers read the sockets, not this process: accept them paused. */
  pauseOnConnect?: boolean;
  /** An inherited descriptor to listen on instead of binding. */
  fd?: number;
}

/** Bind one frontend address (or adopt an inherited descriptor for it). */
export async function openListener(
  fe: FrontendAddress,
  frontendIndex: number,
  onSocket: (socket: net.Socket, frontendIndex: number) => void,
  opts: OpenOptions = {},
): Promise<Listener> {
  // TCP_NODELAY on every accepted connection, as nghttpx sets it: without it, Nagle's algorithm
  // holds a small write behind unacknowledged data until the peer's delayed ACK (up to 40 ms).
  // The option goes with the socket when it is handed to a worker process.
  const server = net.createServer({ pauseOnConnect: opts.pauseOnConnect ?? false, noDelay: true });
  const key = listenerKey(fe);
  const l = { key, server, address: '', port: 0, frontendIndex };
  server.on('connection', (socket: net.Socket) => onSocket(socket, l.frontendIndex));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      // A failed accept (EMFILE...) must not end the process.
      server.on('error', () => undefined);
      resolve();
    };
    if (opts.fd !== undefined) server.listen({ fd: opts.fd, backlog: opts.backlog }, done);
    else if (fe.unixPath !== undefined) {
      try {
        fs.unlinkSync(fe.unixPath);
      } catch {
        // not there: fine
      }
      server.listen({ path: fe.unixPath, backlog: opts.backlog }, done);
    } else server.listen({ port: fe.port, host: fe.host === '*' ? undefined : fe.host, backlog: opts.backlog }, done);
  });
  const a = server.address();
  if (typeof a === 'string' || a === null) l.address = `unix:${fe.unixPath ?? a}`;
  else {
    l.port = a.port;
    l.address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }
  return l;
}

/**
 * Stop accepting on a listener (copies handed to another process stay open). Resolves once the
 * connections it accepted have ended too (net.Server's close semantics): do not await it before
 * draining them.
 */
export function closeListener(l: Listener): Promise<void> {
  return new Promise((r) => l.server.close(() => r()));
}
