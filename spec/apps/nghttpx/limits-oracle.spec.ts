/**
 * nghttpx's connection limits side by side with Debian's nghttpx: requests of one frontend
 * connection beyond --backend-connections-per-frontend (per host with -s:
 * --backend-connections-per-host) wait for a free slot; --worker-frontend-connections closes the
 * connections past it.
 */
import test from 'ava';
import * as http from 'http';
import * as net from 'net';
import { F, headers, PREFACE, RawClient, request, settings } from '../nghttpd/raw';
import { compare, HAS_REF } from './oracle-pair';
import { until } from '../../helpers/wait';

const t_ = HAS_REF ? test.serial : test.serial.skip;

/** A backend answering after 200 ms, counting the most requests it held at once (in all, and per host). */
async function countingBackend(): Promise<{ port: number; peak(): { all: number; host: number }; reset(): void; stop(): Promise<void> }> {
  let active = 0;
  let peakAll = 0;
  let peakHost = 0;
  const perHost = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const host = /^https?:\/\/([^/]+)/.exec(req.url!)?.[1] ?? req.headers.host ?? '';
    active++;
    perHost.set(host, (perHost.get(host) ?? 0) + 1);
    peakAll = Math.max(peakAll, active);
    peakHost = Math.max(peakHost, perHost.get(host)!);
    req.resume();
    setTimeout(() => {
      active--;
      perHost.set(host, perHost.get(host)! - 1);
      res.writeHead(200, { 'content-length': '2' });
      res.end('ok');
    }, 200);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    peak: () => ({ all: peakAll, host: peakHost }),
    reset: () => {
      peakAll = 0;
      peakHost = 0;
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Send GETs for `authorities` on one HTTP/2 connection at once; the statuses once all ended (bounded). */
async function burst(port: number, authorities: string[]): Promise<(string | undefined)[]> {
  const c = await RawClient.connect(port, { handshake: false });
  c.send(PREFACE, settings([]), settings([], F.ACK));
  const ids = authorities.map((_, i) => 1 + 2 * i);
  c.send(...authorities.map((a, i) => headers(ids[i], request('/', [], 'GET', a))));
  await c.until(() => ids.every((id) => c.body(id).ended || c.rst(id) !== undefined), 15000);
  c.close();
  return ids.map((id) => c.status(id));
}

t_('--backend-connections-per-frontend=1: one request of a connection at a time reaches the backend, the others wait', async (t) => {
  const be = await countingBackend();
  try {
    const r = await compare([`-b127.0.0.1,${be.port}`, '--backend-connections-per-frontend=1'], async (port) => {
      be.reset();
      const statuses = await burst(port, ['a', 'a', 'a']);
      return { statuses, peak: be.peak().all };
    });
    t.deepEqual(r.reference, { statuses: ['200', '200', '200'], peak: 1 });
    t.deepEqual(r.ours, r.reference);
    // Without the option (default 0: no limit) the three go at once.
    const free = await compare([`-b127.0.0.1,${be.port}`], async (port) => {
      be.reset();
      await burst(port, ['a', 'a', 'a']);
      return be.peak().all;
    });
    t.deepEqual(free, { reference: 3, ours: 3 });
  } finally {
    await be.stop();
  }
});

t_(
  '-s with --backend-connections-per-host=1 (and its deprecated backend-http1- name): one request per origin host at a time',
  async (t) => {
    const be = await countingBackend();
    try {
      for (const option of ['--backend-connections-per-host=1', '--backend-http1-connections-per-host=1']) {
        const r = await compare(['-s', `-b127.0.0.1,${be.port}`, option], async (port) => {
          be.reset();
          const statuses = await burst(port, ['a.test', 'a.test', 'b.test', 'b.test']);
          return { statuses, peak: be.peak() };
        });
        t.deepEqual(r.reference, { statuses: ['200', '200', '200', '200'], peak: { all: 2, host: 1 } }, option);
        t.deepEqual(r.ours, r.reference, option);
      }
    } finally {
      await be.stop();
    }
  },
);

/** An HTTP/1.1 request on a new connection: the status line, or `closed` when the proxy closed it without one. */
function h1OnNewSocket(port: number, p: string): Promise<{ socket: net.Socket; got: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end >= 0 && text.length >= end + 4 + Number(/content-length: *(\d+)/i.exec(text)?.[1] ?? 0)) {
        resolve({ socket, got: text.slice(0, text.indexOf('\r\n')) });
      }
    });
    socket.on('close', () => resolve({ socket, got: 'closed' }));
    socket.write(`GET ${p} HTTP/1.1\r\nHost: example.test\r\n\r\n`);
  });
}

t_(
  '--worker-frontend-connections=1: a second connection while one is open is closed unanswered; once it closes, a new one is served',
  async (t) => {
    const be = await countingBackend();
    try {
      const r = await compare([`-b127.0.0.1,${be.port}`, '--worker-frontend-connections=1'], async (port) => {
        const first = await h1OnNewSocket(port, '/first');
        const second = await h1OnNewSocket(port, '/second');
        second.socket.destroy();
        await new Promise<void>((res) => {
          first.socket.once('close', res);
          first.socket.destroy();
        });
        // The proxy counts the first connection until it sees it close: a few tries, each on a new connection.
        let third = await h1OnNewSocket(port, '/third');
        for (let i = 0; i < 20 && third.got === 'closed'; i++) third = await h1OnNewSocket(port, '/third');
        third.socket.destroy();
        return [first.got, second.got, third.got];
      });
      t.deepEqual(r.reference, ['HTTP/1.1 200 OK', 'closed', 'HTTP/1.1 200 OK']);
      t.deepEqual(r.ours, r.reference);
    } finally {
      await be.stop();
    }
  },
);

t_('--backend-keep-alive-timeout=1s: the idle backend connections a burst left are closed after it, not kept', async (t) => {
  let open = 0;
  const server = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 50));
  server.keepAliveTimeout = 600000; // the backend would keep them: only the proxy closes them
  server.on('connection', (c) => {
    open++;
    c.on('close', () => open--);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const r = await compare([`-b127.0.0.1,${port}`, '--backend-keep-alive-timeout=1s'], async (p) => {
      const statuses = await burst(p, Array(8).fill('a'));
      const afterBurst = open;
      const start = Date.now();
      const closed = await until(() => open === 0, { timeoutMs: 20000 });
      return { statuses: [...new Set(statuses)], kept: afterBurst > 0, closed, closedAfterTimeout: Date.now() - start >= 800 };
    });
    t.deepEqual(r.reference, { statuses: ['200'], kept: true, closed: true, closedAfterTimeout: true });
    t.deepEqual(r.ours, r.reference);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((res) => server.close(() => res()));
  }
});
