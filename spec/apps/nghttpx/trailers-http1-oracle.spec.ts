/**
 * Trailers on nghttpx's HTTP/1.1 paths, ours beside Debian's nghttpx 1.52: a backend's trailers
 * (an HTTP/2 backend's trailing HEADERS, an HTTP/1.1 backend's chunked trailer section) reach an
 * HTTP/1.1 client in the chunked body's trailer section, with or without `TE: trailers`, and are
 * lost where the body has a length or the client speaks HTTP/1.0; request trailers (an HTTP/1.1
 * chunked request's, an HTTP/2 client's trailing HEADERS) reach an HTTP/1.1 backend. Both
 * directions leave out the same fields; Transfer-Encoding in a request's trailer section is a 400.
 */
import test from 'ava';
import * as http2 from 'http2';
import * as net from 'net';
import { compare, HAS_REF } from './oracle-pair';

const t_ = HAS_REF ? test.serial : test.serial.skip;

/** Every field the probes put in a trailer section: relayed ones and the ones nghttpx drops. */
const TRAILER_LINES = [
  'X-A: 1',
  'Via: v',
  'Forwarded: f',
  'X-Forwarded-For: x',
  'X-Forwarded-Proto: p',
  'Keep-Alive: k',
  'TE: trailers',
  'Upgrade: u',
  'Content-Length: 5',
  'Host: h',
  'Proxy-Connection: pc',
  'Early-Data: 1',
  'Server: s',
  'Set-Cookie: c=1',
  'Cookie: a=b',
  'HTTP2-Settings: AAA',
  'Date: d',
  'Connection: x',
  'Trailer: x',
  'X-Z: 2',
];

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** Send `request` on a new connection; resolve with what came back, Date lines left out, once `done` says the answer is whole. */
function exchange(port: number, request: string, done: (got: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => s.destroy(), 20000);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (done(got)) s.destroy();
    });
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got.replace(/^Date: .*\r\n/gm, ''));
    });
    s.write(request);
  });
}

/** A chunked answer's end (the last chunk and its trailer section), or the end of a body of length 2. */
const whole = (got: string) => /\r\n0\r\n([^\r]*\r\n)*\r\n$/.test(got) || /\r\n\r\nok$/.test(got);

/** The head's fields in order of name (the two proxies order a few differently), then the body and trailer section as sent. */
function normalised(answer: string): { status: string; fields: string[]; rest: string } {
  const end = answer.indexOf('\r\n\r\n');
  const [status, ...fields] = answer.slice(0, end).split('\r\n');
  return { status, fields: fields.sort(), rest: answer.slice(end + 4) };
}

const REQUESTS: [string, string][] = [
  ['no TE', 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['TE: trailers', 'GET /x HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n'],
  ['a body with a length', 'GET /cl HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['HTTP/1.0', 'GET /x HTTP/1.0\r\nHost: a\r\n\r\n'],
];

t_("an HTTP/2 backend's trailers reach HTTP/1.1 clients in the chunked trailer section (as the reference)", async (t) => {
  const server = http2.createServer();
  server.on('stream', (st, h) => {
    const withLength = String(h[':path']).startsWith('/cl');
    st.respond({ ':status': 200, trailer: 'x-rt1', ...(withLength ? { 'content-length': '2' } : {}) }, { waitForTrailers: true });
    st.on('wantTrailers', () => st.sendTrailers({ 'x-rt1': 'one', 'x-rt2': 'two', 'grpc-status': '0', date: 'd', 'set-cookie': 'c=1' }));
    st.end('ok');
  });
  const port = await listen(server as unknown as net.Server);
  try {
    const r = await compare([`-b127.0.0.1,${port};;proto=h2`], async (p) => {
      const out: Record<string, ReturnType<typeof normalised>> = {};
      for (const [name, req] of REQUESTS) out[name] = normalised(await exchange(p, req, whole));
      return out;
    });
    t.deepEqual(r.ours, r.reference);
    t.is(r.ours['no TE'].rest, '2\r\nok\r\n0\r\nX-Rt1: one\r\nX-Rt2: two\r\nGrpc-Status: 0\r\nSet-Cookie: c=1\r\n\r\n');
    t.is(r.ours['TE: trailers'].rest, r.ours['no TE'].rest);
    t.is(r.ours['a body with a length'].rest, 'ok');
    t.is(r.ours['HTTP/1.0'].rest, 'ok');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

t_("an HTTP/1.1 backend's trailer section reaches HTTP/1.1 clients, the fields nghttpx drops left out (as the reference)", async (t) => {
  const server = net.createServer((s) => {
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const withLength = head.startsWith('GET /cl');
      head = '';
      if (withLength) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTrailer: x-a\r\n\r\nok');
      else
        s.write(
          `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-a\r\n\r\n2\r\nok\r\n0\r\n${TRAILER_LINES.join('\r\n')}\r\n\r\n`,
        );
    });
  });
  const port = await listen(server);
  try {
    const r = await compare([`-b127.0.0.1,${port}`], async (p) => {
      const out: Record<string, ReturnType<typeof normalised>> = {};
      for (const [name, req] of REQUESTS) out[name] = normalised(await exchange(p, req, whole));
      return out;
    });
    t.deepEqual(r.ours, r.reference);
    t.is(
      r.ours['no TE'].rest,
      '2\r\nok\r\n0\r\nX-A: 1\r\nTe: trailers\r\nContent-Length: 5\r\nSet-Cookie: c=1\r\nTrailer: x\r\nX-Z: 2\r\n\r\n',
    );
    t.is(r.ours['a body with a length'].rest, 'ok');
    t.is(r.ours['HTTP/1.0'].rest, 'ok');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

/** An HTTP/1.1 backend recording each chunked request's trailer section, or a body's length (answers 200 "ok" with a length). */
async function recordingBackend(): Promise<{ port: number; seen: string[]; stop(): Promise<void> }> {
  const seen: string[] = [];
  const server = net.createServer((s) => {
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const end = /\r\n0\r\n((?:[^\r]*\r\n)*)\r\n$/.exec(got);
      const length = /\r\nContent-Length: (\d+)\r\n[^]*\r\n\r\n(.*)$/i.exec(got);
      if (end) seen.push(end[1]);
      else if (length && length[2].length === Number(length[1])) seen.push(`(a body of length ${length[1]})`);
      else return;
      got = '';
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
  });
  const port = await listen(server);
  return { port, seen, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

t_(
  'request trailers of an HTTP/1.1 client reach an HTTP/1.1 backend; Transfer-Encoding among them is a 400 (as the reference)',
  async (t) => {
    const backend = await recordingBackend();
    try {
      const lines = TRAILER_LINES.filter((l) => !l.startsWith('Trailer') && !l.startsWith('TE'));
      const r = await compare([`-b127.0.0.1,${backend.port}`], async (p) => {
        const from = backend.seen.length;
        const post = (trailers: string[]) =>
          exchange(
            p,
            `POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n${trailers.map((l) => `${l}\r\n`).join('')}\r\n`,
            (got) => /\r\n\r\n(ok|<!DOCTYPE.*<\/html>)$/s.test(got),
          );
        const ok = (await post(lines)).split('\r\n')[0];
        const refused = (await post(['X-T: 1', 'Transfer-Encoding: t'])).split('\r\n')[0];
        return { ok, refused, seen: backend.seen.slice(from) };
      });
      t.deepEqual(r.ours, r.reference);
      t.deepEqual(r.ours, {
        ok: 'HTTP/1.1 200 OK',
        refused: 'HTTP/1.1 400 Bad Request',
        seen: ['X-A: 1\r\nContent-Length: 5\r\nSet-Cookie: c=1\r\nDate: d\r\nX-Z: 2\r\n'],
      });
    } finally {
      await backend.stop();
    }
  },
);

t_(
  "request trailers of an HTTP/2 client reach an HTTP/1.1 backend's chunked body; a body with a length loses them (as the reference)",
  async (t) => {
    const backend = await recordingBackend();
    /** POST "hello" with trailers from Node's HTTP/2 client, with or without content-length; resolves with the status. */
    const post = (port: number, length: boolean) =>
      new Promise<number>((resolve, reject) => {
        const c = http2.connect(`http://127.0.0.1:${port}`);
        c.on('error', reject);
        const st = c.request({ ':method': 'POST', ':path': '/t', ...(length ? { 'content-length': '5' } : {}) }, { waitForTrailers: true });
        st.on('wantTrailers', () => st.sendTrailers({ 'x-t': 'from-h2', via: 'v', date: 'd' }));
        let status = 0;
        st.on('response', (h) => (status = Number(h[':status'])));
        st.resume();
        st.on('close', () => {
          c.close();
          resolve(status);
        });
        st.end('hello');
      });
    try {
      const r = await compare([`-b127.0.0.1,${backend.port}`], async (p) => {
        const from = backend.seen.length;
        const chunked = await post(p, false);
        const withLength = await post(p, true);
        return { chunked, withLength, seen: backend.seen.slice(from) };
      });
      t.deepEqual(r.ours, r.reference);
      t.deepEqual(r.ours, { chunked: 200, withLength: 200, seen: ['X-T: from-h2\r\nDate: d\r\n', '(a body of length 5)'] });
    } finally {
      await backend.stop();
    }
  },
);

t_(
  "a chunked HTTP/1.1 backend's Transfer-Encoding keeps its place and value in the head to an HTTP/1.1 client (as the reference)",
  async (t) => {
    const server = net.createServer((s) => {
      let head = '';
      s.on('data', (d: Buffer) => {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const te = head.startsWith('GET /gz') ? 'gzip, chunked' : 'chunked';
        head = '';
        s.write(`HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: ${te}\r\nContent-Type: text/plain\r\nX-B: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n`);
      });
    });
    const port = await listen(server);
    try {
      const r = await compare([`-b127.0.0.1,${port}`], async (p) => ({
        chunked: await exchange(p, 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n', whole),
        gzip: await exchange(p, 'GET /gz HTTP/1.1\r\nHost: a\r\n\r\n', whole),
        http10: await exchange(p, 'GET /x HTTP/1.0\r\nHost: a\r\n\r\n', whole),
      }));
      t.deepEqual(r.ours, r.reference);
      const fields =
        'X-A: 1\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\nX-B: 2\r\nServer: nghttpx\r\nVia: 1.1 nghttpx\r\n';
      t.is(r.ours.chunked, `HTTP/1.1 200 OK\r\n${fields}\r\n2\r\nok\r\n0\r\n\r\n`);
      t.is(r.ours.gzip, `HTTP/1.1 200 OK\r\n${fields.replace('chunked', 'gzip, chunked')}\r\n2\r\nok\r\n0\r\n\r\n`);
      t.regex(r.ours.http10, /^HTTP\/1\.0 200 OK\r\nX-A: 1\r\nContent-Type: text\/plain\r\nX-B: 2\r\nConnection: close\r\n/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  },
);
