/**
 * nghttpx's modes side by side with Debian's /usr/sbin/nghttpx (needs nghttp2-proxy and curl):
 * each mode set up once with ours and once with the reference (the 2014 flags on ours, today's
 * equivalent parameters on the reference, which refuses --client/--http2-bridge/--client-proxy),
 * the same requests sent to both, and what the client got and what the backend (or the next
 * proxy) saw compared.
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as http2 from 'http2';
import * as net from 'net';
import * as path from 'path';
import { FIXTURES, runClient } from './helpers';
import { inProcessPair } from './oracle-pair';

const t_ = fs.existsSync('/usr/sbin/nghttpx') && fs.existsSync('/usr/bin/curl') ? test.serial : test.serial.skip;
const KEY = path.join(FIXTURES, 'server.key');
const CRT = path.join(FIXTURES, 'server.crt');

/** What a backend saw of one request: method, target, fields (lowercase, sorted out of Node's own). */
interface Seen {
  method: string;
  target: string;
  fields: string[];
}

/** Fields as a backend saw them, minus what varies between runs (ports) and Node's own connection handling. */
function fieldsOf(raw: string[], ports: number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i].toLowerCase();
    if (n === 'connection' || n === 'keep-alive') continue;
    let v = raw[i + 1];
    for (const p of ports) v = v.split(`:${p}`).join(':PORT');
    out.push(`${n}: ${v}`);
  }
  return out;
}

/** The next proxy of a forward proxy: records every request and CONNECT; a tunnel echoes what it gets. */
async function nextProxy(): Promise<{ port: number; seen: Seen[]; stop(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, target: req.url!, fields: fieldsOf(req.rawHeaders, []) });
    req.resume();
    req.on('end', () => res.end(`next-proxy ${req.method} ${req.url}`));
  });
  const tunnels = new Set<net.Socket>();
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket) => {
    seen.push({ method: 'CONNECT', target: req.url!, fields: fieldsOf(req.rawHeaders, []) });
    tunnels.add(socket);
    socket.once('close', () => tunnels.delete(socket));
    socket.on('error', () => undefined);
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(`echo:${d}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    stop: () => {
      for (const s of tunnels) s.destroy();
      return closeServer(server);
    },
  };
}

/** An HTTP/2 TLS backend (ALPN h2): records each request's header list; CONNECT streams echo. */
async function h2TlsBackend(): Promise<{ port: number; seen: Seen[]; stop(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http2.createSecureServer({ key: fs.readFileSync(KEY), cert: fs.readFileSync(CRT) });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
    stream.on('error', () => undefined);
    const method = String(headers[':method']);
    seen.push({ method, target: String(headers[':path'] ?? headers[':authority']), fields: fieldsOf(raw, []) });
    if (method === 'CONNECT') {
      stream.respond({ ':status': 200 });
      stream.on('data', (d: Buffer) => stream.write(`echo:${d}`));
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'text/plain', server: 'h2-backend' });
    stream.resume();
    stream.end(`h2-backend ${method} ${headers[':path']}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    stop: () => {
      for (const s of sessions) s.destroy();
      return closeServer(server);
    },
  };
}

/** An HTTP proxy that only tunnels (CONNECT), recording the target and the Proxy-Authorization. */
async function connectProxy(): Promise<{ port: number; seen: { target: string; auth: string | undefined }[]; stop(): Promise<void> }> {
  const seen: { target: string; auth: string | undefined }[] = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  const open = new Set<net.Socket>();
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    seen.push({ target: req.url!, auth: req.headers['proxy-authorization'] });
    socket.on('error', () => undefined);
    const [host, port] = req.url!.split(':');
    const up = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      socket.pipe(up).pipe(socket);
    });
    up.on('error', () => socket.destroy());
    for (const s of [socket, up]) {
      open.add(s);
      s.once('close', () => open.delete(s));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    stop: () => {
      for (const s of open) s.destroy();
      return closeServer(server);
    },
  };
}

function closeServer(server: net.Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((r) => {
    server.closeAllConnections?.();
    server.close(() => r());
  });
}

/** curl's view: status line and fields (lowercase, minus date), then the body. */
async function curl(args: string[]): Promise<string> {
  const r = await runClient('curl', ['-si', '--max-time', '30', ...args]);
  const text = r.stdout.toString('latin1');
  const cut = text.lastIndexOf('\r\n\r\n');
  const headLines = text
    .slice(0, cut)
    .split('\r\n')
    .filter((l) => !/^(date|connection|keep-alive):/i.test(l))
    .map((l) => l.replace(/^[^:]+:/, (n) => n.toLowerCase()));
  return `${headLines.join('\n')}\n\n${text.slice(cut + 4)}`;
}

/** CONNECT over HTTP/1.1, then one round trip through the tunnel. */
function h1Connect(port: number, authority: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    let sent = false;
    s.setTimeout(10000, () => s.destroy());
    s.on('connect', () => s.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (!sent && got.includes('\r\n\r\n')) {
        sent = true;
        if (/^HTTP\/1\.1 2/.test(got)) s.write('hello');
        else s.end();
      } else if (got.includes('echo:hello')) s.end();
    });
    s.on('close', () => resolve(got.replace(/\r\n(date|server): [^\r]*/gi, '')));
    s.on('error', () => undefined);
  });
}

/** CONNECT as an HTTP/2 stream, then one round trip. */
function h2Connect(port: number, authority: string): Promise<string> {
  return new Promise((resolve) => {
    const c = http2.connect(`http://127.0.0.1:${port}`);
    c.on('error', () => resolve('connection error'));
    const req = c.request({ ':method': 'CONNECT', ':authority': authority });
    let status = '';
    let body = '';
    req.on('response', (h) => {
      status = `${h[':status']} via=${h.via}`;
      req.write('hello');
    });
    req.on('data', (d: Buffer) => {
      body += d.toString();
      if (body.includes('echo:hello')) {
        req.close();
        c.close();
        resolve(`${status} ${body}`);
      }
    });
    req.on('error', () => undefined);
    req.on('close', () => {
      c.close();
      resolve(`${status} ${body}`);
    });
  });
}

/** An HTTP/2 request with the given :authority, over h2c prior knowledge. */
function h2Get(port: number, authority: string, p: string): Promise<string> {
  return new Promise((resolve) => {
    const c = http2.connect(`http://127.0.0.1:${port}`);
    c.on('error', () => resolve('connection error'));
    const req = c.request({ ':authority': authority, ':path': p });
    let head = '';
    let body = '';
    req.on('response', (h) => {
      head = Object.entries(h)
        .filter(([n]) => n !== 'date')
        .map(([n, v]) => `${n}: ${v}`)
        .sort()
        .join('\n');
    });
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      c.close();
      resolve(`${head}\n\n${body}`);
    });
    req.on('error', () => resolve('stream error'));
    req.end();
  });
}

t_(
  '-s/--http2-proxy: absolute-form and h2 requests, CONNECT over HTTP/1.1 and h2, origin-form refused: client and next proxy see the same',
  async (t) => {
    const np = await nextProxy();
    const px = await inProcessPair(
      ['-s', '-f127.0.0.1,PORT;no-tls', `-b127.0.0.1,${np.port}`],
      ['-s', '-f127.0.0.1,PORT;no-tls', `-b127.0.0.1,${np.port}`],
    );
    try {
      const cases: [string, (port: number) => Promise<string>][] = [
        ['absolute-form GET', (port) => curl(['-x', `http://127.0.0.1:${port}`, 'http://example.test/abs?q=1'])],
        ['absolute-form POST', (port) => curl(['-x', `http://127.0.0.1:${port}`, '--data-binary', 'body', 'http://example.test/post'])],
        ['h2 with :authority', (port) => h2Get(port, 'example.test', '/h2?x=1')],
        ['CONNECT over HTTP/1.1', (port) => h1Connect(port, 'example.test:443')],
        ['CONNECT over h2', (port) => h2Connect(port, 'example.test:443')],
        ['origin-form over HTTP/1.1', (port) => curl([`http://127.0.0.1:${port}/origin`])],
      ];
      for (const [name, run] of cases) {
        const before = np.seen.length;
        const theirs = await run(px.refPort);
        const theirSeen = np.seen.slice(before);
        const mid = np.seen.length;
        const mine = await run(px.oursPort);
        const mySeen = np.seen.slice(mid);
        t.is(mine.replace(/:\d+\b/g, ':P'), theirs.replace(/:\d+\b/g, ':P'), `${name}: the client's view (ours, reference)`);
        t.deepEqual(mySeen, theirSeen, `${name}: the next proxy's view (ours, reference)`);
      }
    } finally {
      await px.stop();
      await np.stop();
    }
  },
);

t_(
  "--http2-bridge, --client and --client-proxy (2014 flags on ours) against today's equivalents on the reference: same answers, same requests at the h2 TLS backend",
  async (t) => {
    const be = await h2TlsBackend();
    t.teardown(() => be.stop());
    const b = `-b127.0.0.1,${be.port}`;
    const setups: [string, string[], string[], (port: number) => Promise<string>[]][] = [
      [
        '--http2-bridge',
        ['--http2-bridge', '-k', '-f127.0.0.1,PORT', b, KEY, CRT],
        ['-k', '-f127.0.0.1,PORT', `${b};;proto=h2;tls`, KEY, CRT],
        (port) => [curl(['-k', `https://127.0.0.1:${port}/bridge`]), curl(['-k', '--http1.1', `https://127.0.0.1:${port}/bridge-h1`])],
      ],
      [
        '--client',
        ['--client', '-k', '-f127.0.0.1,PORT', b],
        ['-k', '-f127.0.0.1,PORT;no-tls', `${b};;proto=h2;tls`],
        (port) => [curl([`http://127.0.0.1:${port}/client`]), curl(['--http2-prior-knowledge', `http://127.0.0.1:${port}/client-h2`])],
      ],
      [
        '--client-proxy',
        ['--client-proxy', '-k', '-f127.0.0.1,PORT', b],
        ['-s', '-k', '-f127.0.0.1,PORT;no-tls', `${b};;proto=h2;tls`],
        (port) => [curl(['-x', `http://127.0.0.1:${port}`, 'http://example.test/cp']), h1Connect(port, 'example.test:443')],
      ],
    ];
    for (const [name, ours, ref, requests] of setups) {
      const px = await inProcessPair(ours, ref);
      try {
        const before = be.seen.length;
        const theirs: string[] = [];
        for (const r of requests(px.refPort)) theirs.push(await r);
        const theirSeen = be.seen.slice(before);
        const mid = be.seen.length;
        const mine: string[] = [];
        for (const r of requests(px.oursPort)) mine.push(await r);
        const mySeen = be.seen.slice(mid);
        // Requests on one backend connection may be logged in either order.
        const byTarget = (a: Seen, b: Seen) => a.target.localeCompare(b.target);
        mySeen.sort(byTarget);
        theirSeen.sort(byTarget);
        const norm = (xs: string[], port: number) => xs.map((x) => x.split(String(port)).join('PORT'));
        t.deepEqual(norm(mine, px.oursPort), norm(theirs, px.refPort), `${name}: the client's view (ours, reference)`);
        t.deepEqual(
          mySeen.map((s) => ({ ...s, fields: s.fields.map((f) => f.split(String(px.oursPort)).join('PORT')) })),
          theirSeen.map((s) => ({ ...s, fields: s.fields.map((f) => f.split(String(px.refPort)).join('PORT')) })),
          `${name}: the backend's view (ours, reference)`,
        );
      } finally {
        await px.stop();
      }
    }
  },
);

t_('--frontend-no-tls and --backend-no-tls (deprecated on both): cleartext frontend, plain backend, same answers', async (t) => {
  const np = await nextProxy();
  // The reference takes --frontend-no-tls with a warning and no effect (no-tls must be on -f);
  // ours applies it as the 2014 flag did, so the reference gets the parameter spelled out.
  const px = await inProcessPair(
    ['--frontend-no-tls', '--backend-no-tls', '-f127.0.0.1,PORT', `-b127.0.0.1,${np.port}`],
    ['--frontend-no-tls', '--backend-no-tls', '-f127.0.0.1,PORT;no-tls', `-b127.0.0.1,${np.port}`],
  );
  try {
    for (const extra of [[], ['--http2-prior-knowledge'], ['--http2']]) {
      const theirs = await curl([...extra, `http://127.0.0.1:${px.refPort}/plain`]);
      const mine = await curl([...extra, `http://127.0.0.1:${px.oursPort}/plain`]);
      t.is(mine, theirs, extra.join(' ') || 'HTTP/1.1');
    }
    const seen = np.seen.map((s) => ({ ...s, fields: s.fields.map((f) => f.replace(/:\d+$/, ':P')) }));
    t.deepEqual(
      seen.filter((_, i) => i % 2 === 1),
      seen.filter((_, i) => i % 2 === 0),
    );
  } finally {
    await px.stop();
    await np.stop();
  }
});

t_(
  '--backend-http-proxy-uri=http://user:pass@H:P: the h2 TLS backend connection goes through CONNECT with Proxy-Authorization, as the reference sends it',
  async (t) => {
    const be = await h2TlsBackend();
    const cp = await connectProxy();
    const args = [
      '-k',
      '-f127.0.0.1,PORT;no-tls',
      `-b127.0.0.1,${be.port};;proto=h2;tls`,
      `--backend-http-proxy-uri=http://us%40er:p%3Ass@127.0.0.1:${cp.port}`,
    ];
    const px = await inProcessPair(args, args);
    try {
      let theirs = await curl([`http://127.0.0.1:${px.refPort}/through`]);
      // Debian's nghttpx (the oracle, not the code under test) answered this first request 502 in
      // 1 of 12 runs at load ~5 (0 in 120 on an idle machine). Its -LINFO log of one: CONNECT
      // through the proxy, "Tunneling success", TLS 1.3 handshake with this spec's Node http2
      // backend completed, ALPN h2, request sent, then "SSL_read: tlsv1 alert protocol version"
      // from the backend and the tunnel dropped: an OpenSSL interplay between the C nghttpx and
      // Node's TLS server, not the proxy under test. So the reference gets a second request,
      // logged; ours is asked once and must answer exactly.
      if (theirs.startsWith('HTTP/1.1 502')) {
        t.log('the reference answered 502 through the CONNECT proxy; asking it again');
        theirs = await curl([`http://127.0.0.1:${px.refPort}/through`]);
      }
      const theirTunnel = cp.seen.slice();
      const theirSeen = be.seen.slice();
      const mine = await curl([`http://127.0.0.1:${px.oursPort}/through`]);
      const myTunnel = cp.seen.slice(theirTunnel.length);
      const mySeen = be.seen.slice(theirSeen.length);
      t.regex(theirs, /h2-backend GET \/through$/, 'the reference relayed the backend answer');
      t.is(mine.split(String(px.oursPort)).join('P'), theirs.split(String(px.refPort)).join('P'));
      // What CONNECT each sends, compared once per distinct request: in one full-suite run at load
      // ~22 the reference opened two identical tunnels for this one request (ours one), cause not
      // found; ours must open exactly one.
      const distinct = (xs: { target: string; auth: string | undefined }[]) => [...new Set(xs.map((x) => JSON.stringify(x)))];
      t.deepEqual(distinct(myTunnel), distinct(theirTunnel), `tunnels: ours ${myTunnel.length}, reference ${theirTunnel.length}`);
      t.deepEqual(myTunnel, [{ target: `127.0.0.1:${be.port}`, auth: `Basic ${Buffer.from('us@er:p:ss').toString('base64')}` }]);
      t.deepEqual(
        mySeen.map((s) => s.fields.map((f) => f.split(String(px.oursPort)).join('P'))),
        theirSeen.map((s) => s.fields.map((f) => f.split(String(px.refPort)).join('P'))),
      );
    } finally {
      await px.stop();
      await cp.stop();
      await be.stop();
    }
  },
);
