/**
 * nghttpx's HTTP/1.1 frontend (our own parser, frontend-http1.ts) beside Debian's nghttpx, raw
 * bytes on the wire: pipelined requests answered in order, requests split across many reads,
 * Expect: 100-continue, HEAD, HTTP/1.0, and the error answers (a bad request line: 400 with the
 * reference's page; a head over the limits: 431).
 */
import test from 'ava';
import * as net from 'net';
import { HAS_REF, inProcessPair } from './oracle-pair';
import { listenHttp } from './helpers';

/** A backend: /echo answers the request body with its length, /chunked answers without a length, the rest 'hello' with one. */
async function backend() {
  return listenHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url === '/echo') {
        res.writeHead(200, { 'content-length': body.length, 'x-path': req.url });
        res.end(body);
      } else if (req.url === '/chunked') {
        res.writeHead(200, { 'x-path': req.url });
        res.write('part1-');
        res.end('part2');
      } else {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5, 'x-path': req.url ?? '' });
        res.end('hello');
      }
    });
  });
}

/**
 * Send `parts` (one write each, the next after a turn of the event loop) and read until the
 * proxy closes the connection (every exchange here ends with Connection: close or an error),
 * at most 20 s. Dates are blanked.
 */
function exchange(port: number, parts: string[]): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(`${out}[still open after 20 s]`);
    }, 20000);
    s.on('connect', async () => {
      for (const p of parts) {
        s.write(p);
        await new Promise((r) => setImmediate(r));
      }
    });
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out.replace(/^date: .*$/gim, 'date: -'));
    });
  });
}

/** Both proxies (ours in-process, Debian's as a process) in front of one backend, with `extra` options. */
async function pair(extra: string[] = []) {
  const be = await backend();
  const p = await inProcessPair(['-f127.0.0.1,PORT;no-tls', `-b127.0.0.1,${be.port}`, ...extra]);
  return {
    ...p,
    stop: async () => {
      await p.stop();
      await be.stop();
    },
  };
}

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: example.test\r\n${extra}\r\n`;

test('pipelined requests in one write are answered in order, bodies and framing as the reference', async (t) => {
  if (!HAS_REF) return t.pass('Debian nghttpx not installed');
  const p = await pair();
  try {
    const input =
      GET('/a') +
      'POST /echo HTTP/1.1\r\nHost: example.test\r\nContent-Length: 7\r\n\r\npayload' +
      GET('/chunked') +
      'POST /echo HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n' +
      GET('/last', 'Connection: close\r\n');
    const [ref, ours] = [await exchange(p.refPort, [input]), await exchange(p.oursPort, [input])];
    t.is(ours, ref);
    t.deepEqual(
      [...ours.matchAll(/^X-Path: (.*)\r$/gm)].map((m) => m[1]),
      ['/a', '/echo', '/chunked', '/echo', '/last'],
    );
    t.regex(ours, /\r\n\r\npayloadHTTP\/1\.1 200 OK/);
    t.regex(ours, /Transfer-Encoding: chunked\r\n[^]*\r\n\r\n6\r\npart1-\r\n5\r\npart2\r\n0\r\n\r\n/);
  } finally {
    await p.stop();
  }
});

test('a request split across many reads (inside the request line, a field, a CRLF, the body)', async (t) => {
  if (!HAS_REF) return t.pass('Debian nghttpx not installed');
  const p = await pair();
  try {
    const whole =
      'POST /echo HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nsplit\r\n0\r\n\r\n';
    const cuts = [2, 9, 20, 21, 30, 60, 75, 77, 80, 84, 88];
    const parts = cuts.map((c, i) => whole.slice(i ? cuts[i - 1] : 0, c)).concat(whole.slice(cuts[cuts.length - 1]));
    const [ref, ours] = [await exchange(p.refPort, parts), await exchange(p.oursPort, parts)];
    t.is(ours, ref);
    t.regex(ours, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nsplit$/);
  } finally {
    await p.stop();
  }
});

test('Expect: 100-continue, HEAD without a body, HTTP/1.0 answered in HTTP/1.0 and closed', async (t) => {
  if (!HAS_REF) return t.pass('Debian nghttpx not installed');
  const p = await pair();
  try {
    const cases = [
      ['POST /echo HTTP/1.1\r\nHost: example.test\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n', 'ok'],
      [GET('/chunked').replace('GET', 'HEAD') + GET('/a', 'Connection: close\r\n')],
      ['GET /chunked HTTP/1.0\r\nHost: example.test\r\nConnection: keep-alive\r\n\r\n'],
    ];
    for (const parts of cases) {
      const [ref, ours] = [await exchange(p.refPort, parts), await exchange(p.oursPort, parts)];
      t.is(ours, ref, parts[0]);
    }
    const cont = await exchange(p.oursPort, cases[0]);
    t.true(cont.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n'));
    t.regex(await exchange(p.oursPort, cases[2]), /^HTTP\/1\.0 200 OK\r\n[^]*Connection: close\r\n[^]*\r\n\r\npart1-part2$/);
  } finally {
    await p.stop();
  }
});

test('a bad request line gets the reference 400 page, also after a good pipelined request; a head over the limit 431', async (t) => {
  if (!HAS_REF) return t.pass('Debian nghttpx not installed');
  const p = await pair(['--request-header-field-buffer=2048']);
  try {
    for (const parts of [
      ['GET / HTTP/1.1 extra\r\nHost: example.test\r\n\r\n'],
      ['GET /\r\n\r\n'],
      [GET('/a'), 'GET / HTTP/1.1 extra\r\n\r\n'],
      [GET('/a') + 'GET / HTTP/1.1\nHost: x\n\n'],
      ['POST /echo HTTP/1.1\r\nHost: example.test\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ]) {
      const [ref, ours] = [await exchange(p.refPort, parts), await exchange(p.oursPort, parts)];
      t.is(ours, ref, JSON.stringify(parts));
      t.regex(ours, /HTTP\/1\.1 400 Bad Request\r\nServer: nghttpx\r\nContent-Length: 129\r\n[^]*Connection: close\r\n\r\n<!DOCTYPE html>/);
    }
    const big = [GET('/a', `X-Big: ${'b'.repeat(3000)}\r\n`)];
    const [ref, ours] = [await exchange(p.refPort, big), await exchange(p.oursPort, big)];
    t.is(ours, ref);
    t.regex(ours, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  } finally {
    await p.stop();
  }
});
