/**
 * nghttpx's --read-rate/--read-burst and --write-rate/--write-burst, side by side with Debian's
 * nghttpx: 256 KiB through a frontend limited to 64 KiB/s (64 KiB burst) takes about 3 s. Only a
 * lower bound is asserted (a loaded machine makes anything slower, never faster).
 */
import test from 'ava';
import * as http from 'http';
import * as http2 from 'http2';
import * as https from 'https';
import { FIXTURE_CERT, FIXTURE_KEY } from '../../helpers/repo';
import { compare, HAS_REF } from './oracle-pair';
import { listenHttp } from './helpers';

const t_ = HAS_REF ? test.serial : test.serial.skip;

const SIZE = 256 * 1024;
/** (256 KiB - the 64 KiB burst) / 64 KiB/s = 3 s; asserted with a generous margin. */
const AT_LEAST_MS = 2000;

/** A backend that answers a POST once its whole body arrived (with its length) and a GET with SIZE bytes. */
async function backend(): Promise<{ port: number; stop(): Promise<void> }> {
  return listenHttp((req, res) => {
    if (req.method === 'POST') {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(String(n)));
      return;
    }
    req.resume();
    res.writeHead(200, { 'content-length': String(SIZE) });
    res.end(Buffer.alloc(SIZE, 0x61));
  });
}

/** One HTTP/2 request (prior knowledge) through the proxy: its body, and how long it took. */
async function h2(port: number, method: 'GET' | 'POST', tls = false): Promise<{ body: string; length: number; ms: number }> {
  const start = Date.now();
  const session = http2.connect(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, { rejectUnauthorized: false });
  session.on('error', () => undefined);
  try {
    return await new Promise((resolve, reject) => {
      const req = session.request({ ':method': method, ':path': '/' });
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ body: method === 'POST' ? b.toString() : '', length: b.length, ms: Date.now() - start });
      });
      req.on('error', reject);
      req.setTimeout(30000, () => reject(new Error('request timed out')));
      req.end(method === 'POST' ? Buffer.alloc(SIZE, 0x62) : undefined);
    });
  } finally {
    session.destroy();
  }
}

/** One HTTP/1.1 request through the proxy: its body's length, and how long it took. */
function h1(port: number, method: 'GET' | 'POST', tls = false): Promise<{ body: string; length: number; ms: number }> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port, method, path: '/', agent: false, timeout: 30000, rejectUnauthorized: false };
    const req = (tls ? https : http).request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ body: method === 'POST' ? b.toString() : '', length: b.length, ms: Date.now() - start });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.end(method === 'POST' ? Buffer.alloc(SIZE, 0x62) : undefined);
  });
}

/** The proxies' arguments for a backend. */
const args = (port: number, ...more: string[]) => [`-b127.0.0.1,${port}`, ...more];

t_('--read-rate/--read-burst slow an upload (HTTP/2 and HTTP/1.1), as the reference', async (t) => {
  const be = await backend();
  try {
    const r = await compare(args(be.port, '--read-rate=64K', '--read-burst=64K'), async (port) => [
      await h2(port, 'POST'),
      await h1(port, 'POST'),
    ]);
    t.log(`h2, HTTP/1.1: reference ${r.reference.map((x) => x.ms)} ms, ours ${r.ours.map((x) => x.ms)} ms`);
    for (const [who, runs] of Object.entries(r)) {
      for (const x of runs) {
        t.is(x.body, String(SIZE), `${who}: the backend got the whole upload`);
        t.true(x.ms >= AT_LEAST_MS, `${who}: 256 KiB at 64 KiB/s took ${x.ms} ms`);
      }
    }
  } finally {
    await be.stop();
  }
});

t_('--write-rate/--write-burst slow a download (HTTP/2 and HTTP/1.1), as the reference', async (t) => {
  const be = await backend();
  try {
    const r = await compare(args(be.port, '--write-rate=64K', '--write-burst=64K'), async (port) => [
      await h2(port, 'GET'),
      await h1(port, 'GET'),
    ]);
    t.log(`h2, HTTP/1.1: reference ${r.reference.map((x) => x.ms)} ms, ours ${r.ours.map((x) => x.ms)} ms`);
    for (const [who, runs] of Object.entries(r)) {
      for (const x of runs) {
        t.is(x.length, SIZE, `${who}: the whole download arrived`);
        t.true(x.ms >= AT_LEAST_MS, `${who}: 256 KiB at 64 KiB/s took ${x.ms} ms`);
      }
    }
  } finally {
    await be.stop();
  }
});

t_('without rate options the same transfers are not held', async (t) => {
  const be = await backend();
  try {
    const r = await compare(args(be.port), async (port) => [await h2(port, 'POST'), await h1(port, 'GET')]);
    t.log(`unlimited: reference ${r.reference.map((x) => x.ms)} ms, ours ${r.ours.map((x) => x.ms)} ms`);
    t.is(r.ours[0].body, String(SIZE));
    t.is(r.ours[1].length, SIZE);
  } finally {
    await be.stop();
  }
});

/** The pair's cleartext frontends made TLS ones (the fixture key and certificate), for both proxies. */
const overTls = (cmd: string[]) => [...cmd.map((a) => a.replace(';no-tls', '')), '--no-ocsp', FIXTURE_KEY, FIXTURE_CERT];

t_('on a TLS frontend both limits hold too (plaintext bytes, h2 and HTTP/1.1 over ALPN)', async (t) => {
  const be = await backend();
  try {
    const limits = ['--read-rate=64K', '--read-burst=64K', '--write-rate=64K', '--write-burst=64K'];
    const r = await compare(args(be.port, ...limits), async (port) => [await h2(port, 'POST', true), await h1(port, 'GET', true)], overTls);
    t.log(`TLS upload h2, download HTTP/1.1: reference ${r.reference.map((x) => x.ms)} ms, ours ${r.ours.map((x) => x.ms)} ms`);
    for (const [who, [up, down]] of Object.entries(r)) {
      t.is(up.body, String(SIZE), `${who}: the backend got the whole upload`);
      t.is(down.length, SIZE, `${who}: the whole download arrived`);
      t.true(down.ms >= AT_LEAST_MS, `${who}: download took ${down.ms} ms`);
    }
    // Deliberate difference: Debian's nghttpx 1.52 let this TLS upload through unheld (58 ms,
    // where its cleartext one is held as documented); ours holds reads on every frontend.
    t.true(r.ours[0].ms >= AT_LEAST_MS, `ours: upload took ${r.ours[0].ms} ms`);
  } finally {
    await be.stop();
  }
});

t_('--worker-read-rate/--worker-write-rate: one bucket for every connection of the worker', async (t) => {
  const be = await backend();
  try {
    const limits = ['--worker-read-rate=64K', '--worker-read-burst=64K', '--worker-write-rate=64K', '--worker-write-burst=64K'];
    // Two connections at once, each 256 KiB: shared, (512 - 64) KiB at 64 KiB/s = 7 s for the
    // pair (a per-connection bucket would let both finish in 3 s).
    const r = await compare(args(be.port, ...limits), async (port) => {
      const start = Date.now();
      await Promise.all([h1(port, 'POST'), h2(port, 'POST')]);
      const up = Date.now() - start;
      await Promise.all([h1(port, 'GET'), h2(port, 'GET')]);
      return { up, down: Date.now() - start - up };
    });
    // The reference's help says of these four "Not implemented yet": it is logged, not judged.
    t.log(`two uploads, two downloads at once: reference ${r.reference.up}, ${r.reference.down} ms; ours ${r.ours.up}, ${r.ours.down} ms`);
    t.true(r.ours.up >= 5000, `ours: two uploads took ${r.ours.up} ms`);
    t.true(r.ours.down >= 5000, `ours: two downloads took ${r.ours.down} ms`);
  } finally {
    await be.stop();
  }
});
