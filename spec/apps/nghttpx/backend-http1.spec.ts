/**
 * nghttpx's lean HTTP/1.1 backend client (backend-http1.ts) against scripted raw-socket backends:
 * framing, split reads, early closes, garbage, keep-alive reuse and retries, timeouts, failover
 * phases, request bodies and backpressure.
 */
import test from 'ava';
import * as net from 'net';
import { PassThrough } from 'stream';
import { createBackend, DEFAULT_BACKEND_LIMITS, BackendFailure, BackendLimits } from '../../../lib/apps/nghttpx/backends';
import type { BodySink, ProxyRequest } from '../../../lib/apps/nghttpx/request';
import { deadPort } from '../../helpers/net';
import { waitFor } from '../../helpers/wait';

/** A raw backend: `script(socket, head, n)` answers the n-th request head (0-based, over all connections). */
async function rawBackend(script: (s: net.Socket, head: string, n: number, body: Buffer) => void) {
  const heads: string[] = [];
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const i = buf.indexOf('\r\n\r\n');
        if (i < 0) return;
        const head = buf.toString('latin1', 0, i + 4);
        const m = /content-length: (\d+)/i.exec(head);
        const len = m ? Number(m[1]) : /transfer-encoding: chunked/i.test(head) ? buf.indexOf('0\r\n\r\n', i + 4) + 5 - (i + 4) : 0;
        if (len < 0 || buf.length < i + 4 + len) return;
        const body = buf.subarray(i + 4, i + 4 + len);
        buf = buf.subarray(i + 4 + len);
        heads.push(head);
        script(s, head, heads.length - 1, body);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    heads,
    connections: () => connections,
    open: () => sockets.size,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function request(over: Partial<ProxyRequest> = {}): ProxyRequest {
  return {
    method: 'GET',
    scheme: 'http',
    authority: 'example.test',
    path: '/x',
    fields: [['accept', '*/*']],
    body: undefined,
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    serverPort: 2,
    protocol: 'h2',
    alpn: 'h2c',
    tls: false,
    frontendIndex: 0,
    ...over,
  };
}

function backendAt(port: number, limits: Partial<BackendLimits> = {}) {
  return createBackend(
    { host: '127.0.0.1', port, proto: 'http/1.1' } as Parameters<typeof createBackend>[0],
    { rejectUnauthorized: false, servername: undefined },
    undefined,
    undefined,
    { ...DEFAULT_BACKEND_LIMITS, ...limits },
  );
}

/** Read a whole response body through the relay's source (releasing as it goes); resolves body + completeness. */
function readAll(res: import('../../../lib/apps/nghttpx/backends').BackendResponse): Promise<{ body: Buffer; complete: boolean }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const src = res.source!;
    const sink: BodySink = {
      data: (c) => {
        parts.push(Buffer.from(c));
        setImmediate(() => src.release(c.length));
      },
      end: () => resolve({ body: Buffer.concat(parts), complete: true }),
      abort: () => resolve({ body: Buffer.concat(parts), complete: false }),
    };
    src.relayBody(sink);
  });
}

test('chunked response with trailers written in many small pieces: body and trailers whole; the connection is reused', async (t) => {
  const be = await rawBackend((s) => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\nX-Trailer: done\r\n\r\n';
    // One byte per write, each on its own tick: the client sees split reads.
    let i = 0;
    const next = () => {
      if (i < wire.length) s.write(wire[i++], 'latin1', () => setImmediate(next));
    };
    next();
  });
  const b = backendAt(be.port);
  try {
    for (let k = 0; k < 2; k++) {
      const res = await b.request(request()).response;
      t.is(res.status, 200);
      t.deepEqual(res.fields, [
        ['transfer-encoding', 'chunked'],
        ['x-a', '1'],
      ]);
      const got = await readAll(res);
      t.true(got.complete);
      t.is(got.body.toString(), 'wikipedia');
      t.deepEqual(res.trailers(), [['x-trailer', 'done']]);
    }
    t.is(be.connections(), 1);
    t.regex(be.heads[0], /^GET \/x HTTP\/1\.1\r\nHost: example\.test\r\nAccept: \*\/\*\r\n\r\n$/);
  } finally {
    b.close();
    await be.stop();
  }
});

test('a response larger than one read, relayed with backpressure (the socket pauses while the relay holds bytes)', async (t) => {
  const size = 4 * 1024 * 1024;
  const be = await rawBackend((s) => {
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
    s.write(Buffer.alloc(size, 7));
  });
  const b = backendAt(be.port);
  try {
    const res = await b.request(request()).response;
    let held = 0;
    let maxHeld = 0;
    let got = 0;
    const src = res.source!;
    await new Promise<void>((resolve) => {
      src.relayBody({
        data: (c) => {
          held += c.length;
          got += c.length;
          maxHeld = Math.max(maxHeld, held);
          // A slow client: gives back what it holds 5 ms later.
          setTimeout(() => {
            held -= c.length;
            src.release(c.length);
          }, 5);
        },
        end: () => resolve(),
        abort: () => resolve(),
      });
    });
    t.is(got, size);
    // Bounded by the relay's hold (64 KiB) plus what was in flight in the reads already taken.
    t.true(maxHeld < 1024 * 1024, `held at most ${maxHeld} bytes`);
  } finally {
    b.close();
    await be.stop();
  }
});

test('the backend closes mid-body: the body ends as aborted, and the connection is not reused', async (t) => {
  const be = await rawBackend((s, _h, n) => {
    if (n === 0) {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-part');
      setTimeout(() => s.destroy(), 20);
    } else s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  const b = backendAt(be.port);
  try {
    const res = await b.request(request()).response;
    const got = await readAll(res);
    t.false(got.complete);
    t.is(got.body.toString(), 'only-part');
    const again = await b.request(request()).response;
    t.is((await readAll(again)).body.toString(), 'ok');
    t.is(be.connections(), 2);
  } finally {
    b.close();
    await be.stop();
  }
});

test('a garbage status line, a bad Content-Length, an early close before the head: the request fails (forwarding answers 502)', async (t) => {
  const answers = ['garbage line\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n', ''];
  const be = await rawBackend((s, _h, n) => {
    if (answers[n]) s.write(answers[n]);
    s.destroy();
  });
  const b = backendAt(be.port);
  try {
    for (let i = 0; i < answers.length; i++) {
      const err = (await t.throwsAsync(b.request(request()).response)) as BackendFailure;
      t.is(err.phase, 'request', `answer ${i}`);
    }
  } finally {
    b.close();
    await be.stop();
  }
});

test('1xx before the answer, HEAD / 204 / 304 without body; Connection: close ends the connection', async (t) => {
  const be = await rawBackend((s, head) => {
    if (head.startsWith('HEAD')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n');
    else if (head.includes('/204')) s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
    else if (head.includes('/304')) s.write('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n');
    else s.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye');
  });
  const b = backendAt(be.port);
  try {
    for (const [method, path, status] of [
      ['HEAD', '/h', 200],
      ['GET', '/204', 204],
      ['GET', '/304', 304],
    ] as const) {
      const res = await b.request(request({ method, path })).response;
      t.is(res.status, status);
      t.deepEqual(await readAll(res), { body: Buffer.alloc(0), complete: true });
    }
    t.is(be.connections(), 1);
    const res = await b.request(request({ path: '/close' })).response;
    t.is((await readAll(res)).body.toString(), 'bye');
    await waitFor('the closed connection', () => be.open() === 0);
    const res2 = await b.request(request({ path: '/close' })).response;
    t.is((await readAll(res2)).body.toString(), 'bye');
    t.is(be.connections(), 2);
  } finally {
    b.close();
    await be.stop();
  }
});

test('a kept connection the backend closed as it was reused: a bodiless request goes again on a new one', async (t) => {
  const be = await rawBackend((s, _h, n) => {
    // The second request lands on the kept connection: the backend hangs up instead of answering.
    if (n === 1) return s.destroy();
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  const b = backendAt(be.port);
  try {
    t.is((await readAll(await b.request(request()).response)).body.toString(), 'ok');
    t.is((await readAll(await b.request(request()).response)).body.toString(), 'ok');
    t.is(be.heads.length, 3);
    t.is(be.connections(), 2);
  } finally {
    b.close();
    await be.stop();
  }
});

test('the pool hands out the connection idle longest, not the one just freed', async (t) => {
  // Which connection (in the order the backend accepted them) carried each request.
  const order = new Map<net.Socket, number>();
  const on: number[] = [];
  const held: net.Socket[] = [];
  const be = await rawBackend((s, _h, n) => {
    if (!order.has(s)) order.set(s, order.size);
    on.push(order.get(s)!);
    // The first three are held so that three connections are open at once.
    if (n < 3) held.push(s);
    else s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });
  const b = backendAt(be.port);
  try {
    const first = [0, 1, 2].map(() => b.request(request()).response);
    await waitFor('three requests at the backend', () => held.length === 3);
    // Freed in the order 0, 1, 2 (each answer read before the next is sent).
    for (let i = 0; i < 3; i++) {
      const s = [...order].find(([, k]) => k === i)![0];
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      await first[i];
    }
    for (let i = 0; i < 4; i++) await b.request(request()).response;
    // Each next request takes the connection idle longest: 0, 1, 2, then 0 again (the last freed
    // first would have put all four on 2).
    t.deepEqual(on.slice(3), [0, 1, 2, 0]);
    t.is(be.connections(), 3);
  } finally {
    b.close();
    await be.stop();
  }
});

test('read timeout before the head: phase read (504); connect refused: phase connect (failover); keep-alive timeout closes idle connections', async (t) => {
  const be = await rawBackend((s, head) => {
    if (head.includes('/slow')) return; // never answers
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });
  const b = backendAt(be.port, { readTimeout: 200 });
  // The answered request gets a read timeout of its own: at load 28 a normal answer can take
  // longer than 200 ms (the full-suite runs a1 and b1 of session 5 failed there).
  const kept = backendAt(be.port, { keepAliveTimeout: 200 });
  try {
    const err = (await t.throwsAsync(b.request(request({ path: '/slow' })).response)) as BackendFailure;
    t.is(err.phase, 'read');
    t.regex(err.message, /read timeout/);
    await kept.request(request()).response;
    await waitFor('the idle connection closed after the keep-alive timeout', () => be.open() === 0);
    const dead = backendAt(await deadPort());
    const e2 = (await t.throwsAsync(dead.request(request()).response)) as BackendFailure;
    t.is(e2.phase, 'connect');
    dead.close();
  } finally {
    b.close();
    kept.close();
    await be.stop();
  }
});

test('request bodies: Content-Length as given, chunked when the length is unknown; the body is read only once connected', async (t) => {
  const bodies: string[] = [];
  const be = await rawBackend((s, _h, _n, body) => {
    bodies.push(body.toString('latin1'));
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });
  const b = backendAt(be.port);
  try {
    const fixed = new PassThrough();
    const r1 = b.request(request({ method: 'POST', fields: [['content-length', '5']], body: fixed })).response;
    fixed.end('hello');
    await r1;
    const open = new PassThrough();
    const r2 = b.request(request({ method: 'POST', fields: [], body: open })).response;
    open.write('abc');
    setTimeout(() => open.end('defgh'), 10);
    await r2;
    t.regex(be.heads[0], /Content-Length: 5\r\n\r\n$/);
    t.is(bodies[0], 'hello');
    t.regex(be.heads[1], /Transfer-Encoding: chunked\r\n\r\n$/);
    t.is(bodies[1].replace(/\r\n/g, '|'), '3|abc|5|defgh|0||');
  } finally {
    b.close();
    await be.stop();
  }
});

test('abort while the backend thinks: the connection is dropped and the response promise rejects', async (t) => {
  const be = await rawBackend(() => undefined);
  const b = backendAt(be.port);
  try {
    const x = b.request(request());
    await waitFor('the request at the backend', () => be.heads.length === 1);
    x.abort();
    await t.throwsAsync(x.response);
    await waitFor('the connection closed', () => be.open() === 0);
  } finally {
    b.close();
    await be.stop();
  }
});

test('through our nghttpx (h2c frontend): a garbage status line answers 502, chunked trailers reach the HTTP/2 client, a body cut short resets the stream', async (t) => {
  const http2 = await import('http2');
  const { startNghttpx } = await import('../../../lib/apps/nghttpx/proxy');
  const { parseArgs } = await import('../../../lib/apps/nghttpx/options');
  const be = await rawBackend((s, head) => {
    if (head.startsWith('GET /garbage')) s.end('SPDY/3 200 whatever\r\n\r\n');
    else if (head.startsWith('GET /trailers'))
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 42\r\n\r\n');
    else {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial');
      setTimeout(() => s.destroy(), 20);
    }
  });
  const parsed = parseArgs(['--conf=/dev/null', '-f127.0.0.1,0;no-tls', `-b127.0.0.1,${be.port}`]);
  if (parsed.kind !== 'run') throw new Error('bad args');
  const proxy = await startNghttpx(parsed.options, { errorLog: () => undefined });
  const client = http2.connect(`http://127.0.0.1:${proxy.ports[0]}`);
  client.on('error', () => undefined);
  const get = (path: string) =>
    new Promise<{ status: number; body: string; trailers: Record<string, unknown>; reset?: number }>((resolve) => {
      const st = client.request({ ':path': path });
      let status = 0;
      let body = '';
      let trailers: Record<string, unknown> = {};
      st.on('response', (h) => (status = Number(h[':status'])));
      st.on('trailers', (h) => (trailers = h));
      st.on('data', (c: Buffer) => (body += c.toString()));
      st.on('error', () => undefined);
      st.on('close', () => resolve({ status, body, trailers, reset: st.rstCode || undefined }));
    });
  try {
    t.is((await get('/garbage')).status, 502);
    const tr = await get('/trailers');
    t.is(tr.status, 200);
    t.is(tr.body, 'abc');
    t.is(tr.trailers['x-sum'], '42');
    const cut = await get('/cut');
    t.is(cut.status, 200);
    t.truthy(cut.reset, 'the client stream is reset, not ended as if whole');
  } finally {
    client.close();
    await proxy.shutdown(2000);
    await be.stop();
  }
});
