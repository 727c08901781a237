/**
 * Balancing, health, timeouts and rewriting side by side with Debian's nghttpx (needs
 * nghttp2-proxy and curl): each feature set up once with ours and once with the reference, the
 * same requests sent through both; what the client gets and what the backend sees must match.
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { deadPort } from '../../helpers/net';
import { runClient } from './helpers';
import { both } from './oracle-pair';

const t_ = fs.existsSync('/usr/sbin/nghttpx') && fs.existsSync('/usr/bin/curl') ? test : test.skip;

/** A backend answering JSON of what it saw; `x-loc: URI` answers 302 to it; /hang never answers. */
async function backend(): Promise<{ port: number; seen: string[][]; stop(): Promise<void> }> {
  const seen: string[][] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(req.rawHeaders);
      if (req.url!.startsWith('/hang')) return;
      const loc = req.headers['x-loc'];
      if (typeof loc === 'string') {
        res.writeHead(302, { location: loc, 'content-length': '0' });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** curl -si through a port: the status line and header lines (lowercase names, no Date/Connection), and the body. */
async function get(port: number, p: string, args: string[] = []): Promise<{ head: string[]; body: string }> {
  const r = await runClient('curl', ['-si', '-m', '10', ...args, `http://127.0.0.1:${port}${p}`]);
  const text = r.stdout.toString('latin1');
  const cut = text.indexOf('\r\n\r\n');
  const lines = (cut < 0 ? text : text.slice(0, cut)).split('\r\n');
  const head = [
    lines[0].trimEnd(),
    ...lines
      .slice(1)
      .map((l) => l.replace(/^[^:]+/, (n) => n.toLowerCase()).replace(`:${port}`, ':PORT'))
      .filter((l) => !/^(date|connection|keep-alive|transfer-encoding|content-length):/.test(l)),
  ];
  return { head, body: cut < 0 ? '' : text.slice(cut + 4) };
}

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-be-oracle-'));
  dirs.push(d);
  return d;
};
test.after.always(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

t_(
  'a dead backend in a group: its requests go to the live one (fall/rise), as with the reference; a lone dead one: 502 with --error-page',
  async (t) => {
    const be = await backend();
    const dead = await deadPort();
    const dir = tmp();
    const page = path.join(dir, '502.html');
    fs.writeFileSync(page, '<p>custom 502</p>\n');
    const p = await both([
      `-b127.0.0.1,${dead};;fall=1;rise=1`,
      `-b127.0.0.1,${be.port};;fall=1;rise=1`,
      `-b127.0.0.1,${dead};/dead/`,
      `--error-page=502=${page}`,
    ]);
    try {
      for (const port of [p.ref, p.ours]) {
        for (let i = 0; i < 4; i++) {
          const r = await get(port, `/x${i}`);
          t.is(r.head[0], 'HTTP/1.1 200 OK', `request ${i} via ${port === p.ref ? 'reference' : 'ours'}`);
        }
        const d = await get(port, '/dead/x', ['--http2-prior-knowledge']);
        t.is(d.head[0], 'HTTP/2 502');
        t.is(d.body, '<p>custom 502</p>\n');
      }
    } finally {
      await p.stop();
      await be.stop();
    }
  },
);

t_(
  'Location rewrite (and --host-rewrite), Alt-Svc for HTTP/1.1 and HTTP/2, redirect-if-not-tls: the same heads as the reference',
  async (t) => {
    const be = await backend();
    const p = await both([
      `-b127.0.0.1,${be.port}`,
      `-b127.0.0.1,${be.port};/tls/;redirect-if-not-tls`,
      '--redirect-https-port=8443',
      '--altsvc=h2,443',
      '--altsvc=h3,443,example.com,,ma=3600',
      '--http2-altsvc=h3,443',
    ]);
    const q = await both([`-b127.0.0.1,${be.port}`, '--host-rewrite', '--no-location-rewrite']);
    try {
      const cases: [string, string[]][] = [];
      for (const loc of [
        `http://127.0.0.1:${be.port}/z?q=1#f`,
        'http://127.0.0.1/z',
        'https://127.0.0.1:1/z',
        'http://other.example:1/z',
        '//127.0.0.1/z',
        '/rel',
      ]) {
        cases.push(['/l', ['-H', `x-loc: ${loc}`]], ['/l', ['--http2-prior-knowledge', '-H', `x-loc: ${loc}`]]);
      }
      cases.push(
        ['/tls/x?q', []],
        ['/tls/x', ['--http2-prior-knowledge', '-H', 'host: h.example:99']],
        ['/a', ['--http2-prior-knowledge']],
        ['/a', ['--http1.1']],
      );
      for (const pair of [p, q]) {
        for (const [u, args] of cases) {
          const [ref, ours] = [await get(pair.ref, u, args), await get(pair.ours, u, args)];
          t.deepEqual(ours.head, ref.head, `${u} ${args.join(' ')}`);
        }
      }
      // --host-rewrite: the backend saw its own address as Host, both times.
      const hosts = be.seen.slice(-2).map((raw) => raw[raw.findIndex((x) => x.toLowerCase() === 'host') + 1]);
      t.deepEqual(hosts, [`127.0.0.1:${be.port}`, `127.0.0.1:${be.port}`]);
    } finally {
      await p.stop();
      await q.stop();
      await be.stop();
    }
  },
);

t_(
  'Forwarded (--add-forwarded, --forwarded-by/--forwarded-for=ip, incoming kept or stripped): the backend sees what the reference sends',
  async (t) => {
    const be = await backend();
    const p = await both([
      `-b127.0.0.1,${be.port}`,
      '--add-forwarded=by,for,host,proto',
      '--forwarded-by=ip',
      '--forwarded-for=ip',
      '--add-x-forwarded-for',
    ]);
    const q = await both([
      `-b127.0.0.1,${be.port}`,
      '--add-forwarded=by,for,proto',
      '--forwarded-by=_static',
      '--forwarded-for=ip',
      '--strip-incoming-forwarded',
    ]);
    const fieldsOf = (raw: string[], port: number) => {
      const out: string[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2)
        if (raw[i].toLowerCase() !== 'connection') out.push(`${raw[i].toLowerCase()}: ${raw[i + 1].split(`:${port}`).join(':PORT')}`);
      return out;
    };
    try {
      for (const pair of [p, q]) {
        for (const args of [
          ['-H', 'Forwarded: for=192.0.2.1'],
          ['--http2-prior-knowledge'],
          ['--http2-prior-knowledge', '-H', 'forwarded: for=192.0.2.2'],
        ]) {
          const seen: string[][] = [];
          for (const port of [pair.ref, pair.ours]) {
            await get(port, '/f', args);
            seen.push(fieldsOf(be.seen[be.seen.length - 1], port));
          }
          t.deepEqual(seen[1], seen[0], args.join(' '));
        }
      }
      // Obfuscated `for` (the default): `_` and 8 letters or digits, one per client connection.
      const r = await both([`-b127.0.0.1,${be.port}`, '--add-forwarded=for']);
      try {
        for (const port of [r.ref, r.ours]) {
          await get(port, '/o');
          const raw = be.seen[be.seen.length - 1];
          t.regex(raw[raw.findIndex((x) => x.toLowerCase() === 'forwarded') + 1], /^for=_[A-Za-z0-9]{8}$/);
        }
      } finally {
        await r.stop();
      }
    } finally {
      await p.stop();
      await q.stop();
      await be.stop();
    }
  },
);

t_('--backend-read-timeout: a backend that never answers gets 504, as from the reference', async (t) => {
  const be = await backend();
  const p = await both([`-b127.0.0.1,${be.port}`, '--backend-read-timeout=1s']);
  try {
    for (const args of [[], ['--http2-prior-knowledge']]) {
      const [ref, ours] = await Promise.all([get(p.ref, '/hang', args), get(p.ours, '/hang', args)]);
      t.regex(ref.head[0], /^HTTP\/[\d.]+ 504/);
      t.deepEqual(ours.head, ref.head, args.join(' '));
    }
  } finally {
    await p.stop();
    await be.stop();
  }
});

t_('affinity=cookie: Set-Cookie as the reference writes it, and the cookie keeps a client on one backend', async (t) => {
  const a = await backend();
  const b = await backend();
  const aff = ';affinity=cookie;affinity-cookie-name=lb;affinity-cookie-path=/p;affinity-cookie-secure=no';
  const p = await both([`-b127.0.0.1,${a.port};${aff}`, `-b127.0.0.1,${b.port};${aff}`]);
  try {
    for (const port of [p.ref, p.ours]) {
      const first = await get(port, '/c');
      const cookie = first.head.find((l) => l.startsWith('set-cookie:'));
      t.regex(cookie ?? '', /^set-cookie: lb=[0-9a-f]{8}; Path=\/p$/);
      const value = cookie!.slice('set-cookie: '.length).split(';')[0];
      const before = [a.seen.length, b.seen.length];
      for (let i = 0; i < 6; i++) {
        const r = await get(port, '/c', ['-H', `cookie: ${value}`]);
        t.false(r.head.some((l) => l.startsWith('set-cookie:')));
      }
      const gained = [a.seen.length - before[0], b.seen.length - before[1]].sort();
      t.deepEqual(gained, [0, 6], 'all six on one backend');
    }
  } finally {
    await p.stop();
    await a.stop();
    await b.stop();
  }
});

t_('healthmon, api (backendconfig replaces backends live, configrevision) and proxyproto frontends answer as the reference', async (t) => {
  const be = await backend();
  const dead = await deadPort();
  const pair = await both([`-b127.0.0.1,${be.port}`, '--add-x-forwarded-for'], undefined, [
    'no-tls',
    'no-tls;healthmon',
    'no-tls;api',
    'no-tls;proxyproto',
  ]);
  const ports = { ref: pair.proxies[0].ports, ours: pair.proxies[1].ports };
  try {
    const api = (p: number[], method: string, body?: string) =>
      get(p[2], '/api/v1beta1/backendconfig', ['-X', method, ...(body === undefined ? [] : ['--data-binary', body])]);
    const heads: { head: string[]; body: string }[][] = [[], []];
    for (const [i, p] of [ports.ref, ports.ours].entries()) {
      heads[i].push(await get(p[1], '/anything'), await get(p[1], '/anything', ['--http2-prior-knowledge']));
      heads[i].push(await get(p[2], '/api/v1beta1/configrevision'), await get(p[2], '/nope'), await api(p, 'GET'));
      // Replace the only backend by a dead one: the next request fails; then put it back.
      heads[i].push(await api(p, 'POST', `backend=127.0.0.1,${dead}`));
      heads[i].push({ head: [(await get(p[0], '/after')).head[0]], body: '' });
      heads[i].push(await api(p, 'PUT', `backend=127.0.0.1,${be.port}\n`));
      heads[i].push({ head: [(await get(p[0], '/again')).head[0]], body: '' });
      // PROXY v1 then a request: the backend sees the address from the header.
      const seen = await new Promise<string>((resolve) => {
        const s = net.connect(p[3], '127.0.0.1', () =>
          s.write(`PROXY TCP4 192.0.2.7 127.0.0.1 5555 ${p[3]}\r\nGET /pp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        let text = '';
        s.on('data', (d) => (text += d.toString()));
        s.on('close', () => resolve(text.split('\r\n')[0]));
        s.on('error', () => resolve('error'));
      });
      const raw = be.seen[be.seen.length - 1];
      heads[i].push({ head: [seen, raw[raw.findIndex((x) => x.toLowerCase() === 'x-forwarded-for') + 1]], body: '' });
    }
    t.deepEqual(heads[1], heads[0]);
    t.deepEqual(heads[0].at(-1)!.head, ['HTTP/1.1 200 OK', '192.0.2.7']);
  } finally {
    await pair.stop();
    await be.stop();
  }
});

t_(
  '--frontend-max-requests: an HTTP/1.1 connection closes after N requests, an HTTP/2 one gets GOAWAY after N streams, as the reference',
  async (t) => {
    const be = await backend();
    const p = await both([`-b127.0.0.1,${be.port}`, '--frontend-max-requests=2']);
    try {
      for (const port of [p.ref, p.ours]) {
        const url = `http://127.0.0.1:${port}/m`;
        const h1 = await runClient('curl', ['-sv', '-o', '/dev/null', '-o', '/dev/null', '-o', '/dev/null', url, url, url]);
        t.is(
          (h1.stderr.match(/Connected to/g) ?? []).length,
          2,
          `HTTP/1.1 via ${port === p.ref ? 'reference' : 'ours'}: 3 requests, 2 connections`,
        );
        const h2 = await runClient('/usr/bin/nghttp', ['-nv', `${url}1`, `${url}2`, `${url}3`]);
        t.regex(h2.stdout.toString(), /recv GOAWAY frame/, `HTTP/2 via ${port === p.ref ? 'reference' : 'ours'}`);
      }
    } finally {
      await p.stop();
      await be.stop();
    }
  },
);
