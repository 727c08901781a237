/**
 * nghttpx's header-field limits side by side with Debian's nghttpx: --request-header-field-buffer
 * and --max-request-header-fields (431 on HTTP/1.1 and HTTP/2 frontends; names + values, pseudo-
 * headers and the HTTP/1.1 request-target counted), --response-header-field-buffer and
 * --max-response-header-fields (an HTTP/1.1 backend's head: 502; an HTTP/2 backend's: the client's
 * stream reset INTERNAL_ERROR, an HTTP/1.1 client's connection closed unanswered).
 */
import test from 'ava';
import * as http2 from 'http2';
import * as net from 'net';
import { F, headers, PREFACE, RawClient, request, settings } from '../nghttpd/raw';
import { listenTcp } from './helpers';
import { compare, HAS_REF } from './oracle-pair';

const t_ = HAS_REF ? test.serial : test.serial.skip;

/** The response fields a backend sends for `/?n=N&big=L`: N fields `x-hI: v`, and `x-big` of L octets. */
function answerFields(path: string): Array<[string, string]> {
  const q = new URLSearchParams(path.split('?')[1] ?? '');
  const out: Array<[string, string]> = [];
  for (let i = 0; i < Number(q.get('n') ?? 0); i++) out.push([`x-h${i}`, 'v']);
  if (q.get('big')) out.push(['x-big', 'a'.repeat(Number(q.get('big')))]);
  return out;
}

/** An HTTP/1.1 backend writing its heads by hand: exactly the fields asked for plus content-length (no Date, no Connection). */
function h1Backend(): Promise<{ port: number; stop(): Promise<void> }> {
  return listenTcp((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const path = buf.slice(0, end).split(' ')[1] ?? '/';
        buf = buf.slice(end + 4);
        const head = answerFields(path).map(([n, v]) => `${n}: ${v}\r\n`);
        s.write(`HTTP/1.1 200 OK\r\n${head.join('')}content-length: 2\r\n\r\nok`);
      }
    });
  });
}

/** An HTTP/2 backend: :status 200 and exactly the fields asked for (no date). */
async function h2Backend(): Promise<{ port: number; stop(): Promise<void> }> {
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  server.on('stream', (st, h) => {
    st.on('error', () => undefined);
    // sendDate: Node's own option (not in its typings) to leave out the date field.
    const noDate = { sendDate: false } as http2.ServerStreamResponseOptions;
    st.respond({ ':status': 200, ...Object.fromEntries(answerFields(String(h[':path']))) }, noDate);
    st.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

/** An HTTP/1.1 request with `fields` (Host first); the status line, or 'closed' when the connection ended unanswered (bounded). */
function h1(port: number, target: string, fields: Array<[string, string]>): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer on ${port} for ${target}`));
    }, 15000);
    const done = (v: string) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    s.on('error', () => undefined);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) done(got.slice(0, got.indexOf('\r\n')));
    });
    s.on('close', () => done('closed'));
    s.write(`GET ${target} HTTP/1.1\r\n${fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`);
  });
}

/** One HTTP/2 request on its own connection (authority 'a'): `:status N`, `RST code`, or 'closed' (bounded). */
async function h2(port: number, path: string, extra: Array<[string, string]> = []): Promise<string> {
  const c = await RawClient.connect(port, { handshake: false });
  try {
    c.send(PREFACE, settings([]), settings([], F.ACK), headers(1, request(path, extra, 'GET', 'a')));
    await c.until(() => c.body(1).ended || c.rst(1) !== undefined, 15000);
    const rst = c.rst(1);
    if (rst !== undefined) return `RST ${rst}`;
    return c.status(1) !== undefined ? `:status ${c.status(1)}` : 'closed';
  } finally {
    c.close();
  }
}

const xs = (n: number): Array<[string, string]> => Array.from({ length: n }, (_, i) => [`x${i}`, 'v']);

t_('--max-request-header-fields / --request-header-field-buffer: 431 past either, on HTTP/1.1 and HTTP/2 frontends', async (t) => {
  const be = await h1Backend();
  try {
    const r = await compare(
      [`-b127.0.0.1,${be.port}`, '--max-request-header-fields=6', '--request-header-field-buffer=100'],
      async (port) => ({
        // HTTP/1.1: Host counts; 6 fields pass, 7 do not.
        h1Count6: await h1(port, '/', [['Host', 'a'], ...xs(5)]),
        h1Count7: await h1(port, '/', [['Host', 'a'], ...xs(6)]),
        // HTTP/1.1 size: the target '/' (1) + Host a (5) + x and its value: 99 and 100 pass, 101 does not.
        h1Bytes100: await h1(port, '/', [
          ['Host', 'a'],
          ['x', 'a'.repeat(93)],
        ]),
        h1Bytes101: await h1(port, '/', [
          ['Host', 'a'],
          ['x', 'a'.repeat(94)],
        ]),
        // A longer target counts as much.
        h1Target: await h1(port, `/${'p'.repeat(10)}`, [
          ['Host', 'a'],
          ['x', 'a'.repeat(84)],
        ]),
        // HTTP/2: the 4 pseudo-headers count: 6 fields pass, 7 do not.
        h2Count6: await h2(port, '/', xs(2)),
        h2Count7: await h2(port, '/', xs(3)),
        // HTTP/2 size: pseudo-headers' names and values (38 octets here) + x and its value: 100 passes, 101 does not.
        h2Bytes100: await h2(port, '/', [['x', 'a'.repeat(61)]]),
        h2Bytes101: await h2(port, '/', [['x', 'a'.repeat(62)]]),
      }),
    );
    t.deepEqual(r.reference, {
      h1Count6: 'HTTP/1.1 200 OK',
      h1Count7: 'HTTP/1.1 431 Request Header Fields Too Large',
      h1Bytes100: 'HTTP/1.1 200 OK',
      h1Bytes101: 'HTTP/1.1 431 Request Header Fields Too Large',
      h1Target: 'HTTP/1.1 431 Request Header Fields Too Large',
      h2Count6: ':status 200',
      h2Count7: ':status 431',
      h2Bytes100: ':status 200',
      h2Bytes101: ':status 431',
    });
    t.deepEqual(r.ours, r.reference);
  } finally {
    await be.stop();
  }
});

t_('request header limits at their defaults (64K, 100 fields)', async (t) => {
  const be = await h1Backend();
  try {
    const r = await compare([`-b127.0.0.1,${be.port}`], async (port) => ({
      count100: await h1(port, '/', [['Host', 'a'], ...xs(99)]),
      count101: await h1(port, '/', [['Host', 'a'], ...xs(100)]),
      // 40 KB of one field: over Node's own 16 KiB default parser limit, under nghttpx's 64K.
      bytes40k: await h1(port, '/', [
        ['Host', 'a'],
        ['x', 'a'.repeat(40000)],
      ]),
      bytes70k: await h1(port, '/', [
        ['Host', 'a'],
        ['x', 'a'.repeat(35000)],
        ['y', 'a'.repeat(35000)],
      ]),
      h2Count100: await h2(port, '/', xs(96)),
      h2Count101: await h2(port, '/', xs(97)),
    }));
    t.deepEqual(r.reference, {
      count100: 'HTTP/1.1 200 OK',
      count101: 'HTTP/1.1 431 Request Header Fields Too Large',
      bytes40k: 'HTTP/1.1 200 OK',
      bytes70k: 'HTTP/1.1 431 Request Header Fields Too Large',
      h2Count100: ':status 200',
      h2Count101: ':status 431',
    });
    t.deepEqual(r.ours, r.reference);
  } finally {
    await be.stop();
  }
});

t_('--max-response-header-fields / --response-header-field-buffer, HTTP/1.1 backend: 502 past either', async (t) => {
  const be = await h1Backend();
  try {
    const r = await compare(
      [`-b127.0.0.1,${be.port}`, '--max-response-header-fields=3', '--response-header-field-buffer=100'],
      async (port) => {
        const host: Array<[string, string]> = [['Host', 'a']];
        return {
          // content-length counts: 2 fields of ours + it = 3 pass, 4 do not.
          count3: await h1(port, '/?n=2', host),
          count4: await h1(port, '/?n=3', host),
          // x-big (5) + L + content-length (14) + '2' (1): 100 passes, 101 does not.
          bytes100: await h1(port, '/?big=80', host),
          bytes101: await h1(port, '/?big=81', host),
          h2Count4: await h2(port, '/?n=3'),
          h2Bytes101: await h2(port, '/?big=81'),
        };
      },
    );
    t.deepEqual(r.reference, {
      count3: 'HTTP/1.1 200 OK',
      count4: 'HTTP/1.1 502 Bad Gateway',
      bytes100: 'HTTP/1.1 200 OK',
      bytes101: 'HTTP/1.1 502 Bad Gateway',
      h2Count4: ':status 502',
      h2Bytes101: ':status 502',
    });
    t.deepEqual(r.ours, r.reference);
  } finally {
    await be.stop();
  }
});

t_('--max-response-header-fields / --response-header-field-buffer, HTTP/2 backend: the request reset past either', async (t) => {
  const be = await h2Backend();
  try {
    const args = [`-b127.0.0.1,${be.port};;proto=h2`, '--max-response-header-fields=3', '--response-header-field-buffer=100'];
    const r = await compare(args, async (port) => {
      const host: Array<[string, string]> = [['Host', 'a']];
      return {
        // :status counts: it + 2 fields pass, + 3 do not.
        count3: await h2(port, '/?n=2'),
        count4: await h2(port, '/?n=3'),
        // :status 200 (10) + x-big (5) + L: 100 passes, 101 does not.
        bytes100: await h2(port, '/?big=85'),
        bytes101: await h2(port, '/?big=86'),
        h1Count3: await h1(port, '/?n=2', host),
        h1Count4: await h1(port, '/?n=3', host),
      };
    });
    t.deepEqual(r.reference, {
      count3: ':status 200',
      count4: 'RST 2',
      bytes100: ':status 200',
      bytes101: 'RST 2',
      h1Count3: 'HTTP/1.1 200 OK',
      h1Count4: 'closed',
    });
    t.deepEqual(r.ours, r.reference);
  } finally {
    await be.stop();
  }
});
