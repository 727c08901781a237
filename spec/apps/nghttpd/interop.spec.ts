/**
 * nghttpd against real peers: curl (prior knowledge, Upgrade, https), Debian's nghttp (incl. -a
 * assets and push), Node's http2 client and h2load; and the bin/nghttpd CLI as a process
 * (listen line, exit codes, -n workers). Each binary's test is skipped when it is missing.
 */
import test from 'ava';
import { execFile, spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http2 from 'http2';
import * as path from 'path';
import type { NghttpdServer } from '../../../lib/apps/nghttpd/server';
import { CERT, KEY, makeDocroot, repoRoot, startServer } from './raw';
import { NO_REFERENCE_SAMPLES } from '../../helpers/repo';
import { until } from '../../helpers/wait';
import { withSpawnSlot } from '../../helpers/spawn-slots';

const CURL = '/usr/bin/curl';
const NGHTTP = '/usr/bin/nghttp';
const H2LOAD = '/usr/bin/h2load';
const has = (p: string) => fs.existsSync(p);
// needs curl (Debian package curl)
const withCurl = has(CURL) ? test : test.skip;
// needs nghttp2-client (nghttp, h2load)
const withNghttp = has(NGHTTP) ? test : test.skip;
// Serial: 2000-request runs against the in-process servers would starve the tests running beside
// them in this worker (a concurrent nghttp once got no answer within its 10 s SETTINGS timeout).
const withH2load = has(H2LOAD) ? test.serial : test.skip;

/** A client run, bounded at 60 s (against hangs), a few at a time (spec/helpers/spawn-slots.ts). */
function run(cmd: string, args: string[], timeout = 60000): Promise<{ code: number; stdout: string; stderr: string }> {
  return withSpawnSlot(() => runNow(cmd, args, timeout));
}

function runNow(cmd: string, args: string[], timeout: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 1 << 24, encoding: 'latin1' }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? -1) : 0;
      resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
}

let root: string;
let h2c: NghttpdServer;
let h2: NghttpdServer;
let push: NghttpdServer;
test.before(async () => {
  root = makeDocroot();
  h2c = await startServer(['-d', root, '--echo-upload']);
  h2 = await startServer(['-d', root], { tls: true });
  push = await startServer(['-d', root, '-p/=/style.css,/app.js']);
});
test.after.always(async () => {
  await Promise.all([h2c?.close(), h2?.close(), push?.close()]);
  fs.rmSync(root, { recursive: true, force: true });
});

const file = (name: string) => fs.readFileSync(path.join(root, name)).toString('latin1');

withCurl('curl --http2-prior-knowledge', async (t) => {
  const r = await run(CURL, ['-sS', '--http2-prior-knowledge', '-D', '-', `http://127.0.0.1:${h2c.port}/100k`]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^HTTP\/2 200 \r\nserver: nghttpd/);
  t.true(r.stdout.endsWith(file('100k')));
});

withCurl('curl --http2 (HTTP/1.1 Upgrade: h2c)', async (t) => {
  const r = await run(CURL, ['-sS', '-v', '--http2', `http://127.0.0.1:${h2c.port}/1k`]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /HTTP\/1\.1 101 Switching Protocols/);
  t.regex(r.stderr, /HTTP\/2 200/);
  t.is(r.stdout, file('1k'));
});

withCurl('curl https -k (ALPN h2) and a POST with --echo-upload', async (t) => {
  const r = await run(CURL, ['-sS', '-k', '--http2', '-D', '-', `https://127.0.0.1:${h2.port}/style.css`]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^HTTP\/2 200 /);
  t.regex(r.stdout, /content-type: text\/css|\r\n\r\n/);
  t.true(r.stdout.endsWith(file('style.css')));
  const e = await run(CURL, ['-sS', '--http2-prior-knowledge', '-D', '-', '--data-binary', 'hello echo', `http://127.0.0.1:${h2c.port}/x`]);
  t.regex(e.stdout, /nghttpd-response: echo/);
  t.true(e.stdout.endsWith('hello echo'));
});

withCurl('curl HTTP/1.1 without upgrade gets a readable 505', async (t) => {
  const r = await run(CURL, ['-sS', '--http1.1', '-D', '-', `http://127.0.0.1:${h2c.port}/1k`]);
  t.regex(r.stdout, /^HTTP\/1\.1 505 /);
});

withNghttp('nghttp -nv: the trace of a GET, 404 and multiple URIs', async (t) => {
  const base = `http://127.0.0.1:${h2c.port}`;
  const r = await run(NGHTTP, ['-nv', `${base}/1k`, `${base}/nope`]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /recv \(stream_id=13\) :status: 200/);
  t.regex(r.stdout, /recv \(stream_id=15\) :status: 404/);
  t.regex(r.stdout, /recv DATA frame <length=1024, flags=0x01, stream_id=13>/);
  t.notRegex(r.stdout, /Some requests were not processed/);
});

withNghttp('nghttp -nas: -a fetches the page assets', async (t) => {
  const r = await run(NGHTTP, ['-nas', `http://127.0.0.1:${h2c.port}/`]);
  t.is(r.code, 0, r.stderr);
  for (const p of ['/', '/style.css', '/app.js', '/img.png'])
    t.regex(r.stdout, new RegExp(`200 +\\d+ ${p.replace(/[./]/g, '\\$&')}\\n`), p);
});

withNghttp('nghttp against -p: PUSH_PROMISE for streams 2 and 4, pushed bodies received', async (t) => {
  const r = await run(NGHTTP, ['-nvs', `http://127.0.0.1:${push.port}/`]);
  t.is(r.code, 0, r.stderr);
  t.regex(
    r.stdout,
    /recv PUSH_PROMISE frame <length=\d+, flags=0x04, stream_id=13>\n {10}; END_HEADERS\n {10}\(padlen=0, promised_stream_id=2\)/,
  );
  t.regex(r.stdout, /promised_stream_id=4\)/);
  t.regex(r.stdout, / +2 +\+[\d.]+m?s \* .* 200 +20 \/style\.css/);
  t.regex(r.stdout, / +4 +\+[\d.]+m?s \* .* 200 +16 \/app\.js/);
});

withNghttp('nghttp -u (Upgrade) and https', async (t) => {
  const u = await run(NGHTTP, ['-nvu', `http://127.0.0.1:${h2c.port}/1k`]);
  t.is(u.code, 0, u.stderr);
  t.regex(u.stdout, /HTTP Upgrade response/);
  t.regex(u.stdout, /recv DATA frame <length=1024, flags=0x01, stream_id=1>/);
  const s = await run(NGHTTP, ['-nv', `https://127.0.0.1:${h2.port}/1k`]);
  t.is(s.code, 0, s.stderr);
  t.regex(s.stdout, /The negotiated protocol: h2/);
  t.regex(s.stdout, /recv DATA frame <length=1024, flags=0x01, stream_id=13>/);
});

test('Node http2 client: GET, POST echo, and a push', async (t) => {
  const client = http2.connect(`http://127.0.0.1:${push.port}`);
  try {
    const get = (p: string) =>
      new Promise<{ status: number; body: Buffer; pushed: string[] }>((resolve, reject) => {
        const pushed: string[] = [];
        client.on('stream', (ps, hdrs) => {
          pushed.push(String(hdrs[':path']));
          ps.resume();
        });
        const req = client.request({ ':path': p });
        const parts: Buffer[] = [];
        let status = 0;
        req.on('response', (h) => {
          status = Number(h[':status']);
        });
        req.on('data', (d: Buffer) => parts.push(d));
        req.on('end', () => resolve({ status, body: Buffer.concat(parts), pushed }));
        req.on('error', reject);
        req.end();
      });
    const r = await get('/');
    t.is(r.status, 200);
    t.is(r.body.toString('latin1'), file('index.html'));
    await until(() => r.pushed.length >= 2);
    t.deepEqual(r.pushed.sort(), ['/app.js', '/style.css']);
    const r2 = await get('/100k');
    t.is(r2.body.length, 100 * 1024);
  } finally {
    client.close();
  }
  const c2 = http2.connect(`https://127.0.0.1:${h2.port}`, { rejectUnauthorized: false });
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const req = c2.request({ ':path': '/style.css' });
      let s = '';
      req.setEncoding('latin1');
      req.on('data', (d) => (s += d));
      req.on('end', () => resolve(s));
      req.on('error', reject);
      req.end();
    });
    t.is(body, file('style.css'));
  } finally {
    c2.close();
  }
  const c3 = http2.connect(`http://127.0.0.1:${h2c.port}`);
  try {
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const req = c3.request({ ':path': '/up', ':method': 'PUT' });
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => resolve(Buffer.concat(parts)));
      req.on('error', reject);
      req.end(Buffer.alloc(300 * 1024, 'q'));
    });
    t.is(echoed.length, 300 * 1024);
    t.true(echoed.every((b) => b === 0x71));
  } finally {
    c3.close();
  }
});

withH2load('h2load: succeeded equals the requests sent (h2c and TLS)', async (t) => {
  for (const url of [`http://127.0.0.1:${h2c.port}/1k`, `https://127.0.0.1:${h2.port}/100k`]) {
    const r = await run(H2LOAD, ['-n', '2000', '-c', '4', '-m', '10', url], 60000);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored/, url);
    t.regex(r.stdout, /status codes: 2000 2xx/);
  }
});

// ------------------------------------------------------------------ the CLI as a process

const BIN = path.join(repoRoot(), 'bin/nghttpd');

function startCli(args: string[]): Promise<{ child: ChildProcess; port: number; out: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    // A bound against a hang: Node (and -n 2's two workers) took over 10 s to start at load 20.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no listen line within 30 s: ${out}`));
    }, 30000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /IPv[46]: listen \S+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), out: () => out });
      }
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`exited: ${out}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      resolve(child.exitCode);
      return;
    }
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

test('CLI: --version, --help, bad flags and files exit non-zero with a message', async (t) => {
  const v = await run(process.execPath, [BIN, '--version']);
  t.is(v.code, 0);
  t.regex(v.stdout, /^nghttpd nghttp2-ts\/\d/);
  const h = await run(process.execPath, [BIN, '-h']);
  t.is(h.code, 0);
  t.regex(h.stdout, /^Usage: nghttpd \[OPTION\]\.\.\. <PORT> \[<PRIVATE_KEY> <CERT>\]/);
  for (const args of [
    ['--no-tls'],
    ['--bogus', '--no-tls', '0'],
    ['-w', '99', '--no-tls', '0'],
    ['0', '/nonexistent.key', CERT],
    ['--no-tls', '-d', '/nonexistent', '0'],
  ]) {
    const r = await run(process.execPath, [BIN, ...args]);
    t.not(r.code, 0, args.join(' '));
    t.regex(r.stderr, /^nghttpd: /, args.join(' '));
  }
});

test('CLI: port in use is a clear error', async (t) => {
  const r = await run(process.execPath, [BIN, '--no-tls', '-a', '127.0.0.1', String(h2c.port)]);
  t.is(r.code, 1);
  t.regex(r.stderr, /could not listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
});

test('CLI: -v prints the listen line and the trace; SIGTERM stops it', async (t) => {
  const s = await startCli(['-v', '--no-tls', '-a', '127.0.0.1', '-d', root, '0']);
  try {
    t.regex(s.out(), /^IPv4: listen 127\.0\.0\.1:\d+\n/);
    const client = http2.connect(`http://127.0.0.1:${s.port}`);
    await new Promise<void>((resolve, reject) => {
      const req = client.request({ ':path': '/1k' });
      req.resume();
      req.on('end', () => resolve());
      req.on('error', reject);
    });
    client.close();
    await until(() => /stream_id=1 closed/.test(s.out()));
    t.regex(s.out(), /\[id=1\] \[ *\d+\.\d{3}\] send HEADERS frame/);
    t.regex(s.out(), /stream_id=1 closed/);
  } finally {
    t.is(await stop(s.child), 0);
  }
});

test('CLI: -n 2 runs two worker processes sharing the port', async (t) => {
  const s = await startCli(['-v', '-n', '2', '--no-tls', '-a', '127.0.0.1', '-d', root, '0']);
  try {
    const ids = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const client = http2.connect(`http://127.0.0.1:${s.port}`);
      await new Promise<void>((resolve, reject) => {
        const req = client.request({ ':path': '/1k' });
        req.resume();
        req.on('end', () => resolve());
        req.on('error', reject);
      });
      client.close();
    }
    // Each worker's trace reaches our pipe when it is written: wait until both have spoken.
    const parities = () => new Set([...s.out().matchAll(/\[id=(\d+)\]/g)].map((m) => Number(m[1]) % 2)).size;
    await until(() => parities() === 2);
    for (const m of s.out().matchAll(/\[id=(\d+)\]/g)) ids.add(m[1]);
    t.true(ids.size >= 2, `connection ids ${[...ids]}`);
    // Ids from worker 0 are odd, from worker 1 even: both workers served.
    const parity = new Set([...ids].map((i) => Number(i) % 2));
    t.is(parity.size, 2, 'both workers accepted connections');
  } finally {
    await stop(s.child);
  }
});

test('CLI: TLS with key and cert positionals', async (t) => {
  const s = await startCli(['-v', '-a', '127.0.0.1', '-d', root, '0', KEY, CERT]);
  try {
    const client = http2.connect(`https://127.0.0.1:${s.port}`, { rejectUnauthorized: false });
    const status = await new Promise<number>((resolve, reject) => {
      const req = client.request({ ':path': '/1k' });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.resume();
    });
    client.close();
    t.is(status, 200);
  } finally {
    await stop(s.child);
  }
});

const SAMPLES = path.resolve(repoRoot(), '../shared/reference/samples');

/** A trace with times, dates, ports and our server name neutralised; the SETTINGS ACK from the client (timing-dependent) dropped. */
function normaliseTrace(text: string, dropSentAck = false): string[] {
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#') && !/^IPv[46]: listen/.test(l));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i].replace(/^\[id=\d+\] \[ *\d+\.\d{3}\] /, '');
    if (l === 'recv SETTINGS frame <length=0, flags=0x01, stream_id=0>') {
      i += 2;
      continue;
    }
    if (dropSentAck && l === 'send SETTINGS frame <length=0, flags=0x01, stream_id=0>') {
      i += 2;
      continue;
    }
    l = l
      .replace(/(date|last-modified): .*/, '$1: X')
      .replace(/:authority: .*/, ':authority: A')
      .replace(/server: .*/, 'server: S')
      .replace(/^(send HEADERS frame <length=)\d+/, '$1N');
    out.push(l);
  }
  return out;
}

/** Reference server traces (samples/*.server.txt) replayed: same nghttp command, same file sizes. */
const TRACES: Array<{ sample: string; server: string[]; client: (base: string, www: string) => string[]; dropSentAck?: boolean }> = [
  { sample: 'nghttp-nv-nghttpd', server: [], client: (b) => ['-nv', `${b}/`] },
  { sample: 'nghttp-nv-push-nghttpd', server: ['-p/=/style.css,/app.js'], client: (b) => ['-nv', `${b}/`] },
  {
    sample: 'nghttp-nv-upload-echo-nghttpd',
    server: ['--echo-upload'],
    client: (b, w) => ['-nv', '-d', path.join(w, 'style.css'), `${b}/echo`],
  },
  {
    sample: 'nghttp-nv-padding-trailer',
    server: ['-b', '16', '--trailer=x-srv-trailer:yes'],
    client: (b, w) => ['-nv', '-b', '8', '--trailer=x-cli-trailer:yes', '-d', path.join(w, 'app.js'), `${b}/1k`],
  },
  {
    sample: 'nghttp-nv-hexdump-small-window',
    server: [],
    client: (b) => ['-nv', '--hexdump', '-w', '10', '-W', '10', '-c', '0', `${b}/1k`],
  },
  // 18 KB of headers arrive over several reads: where our ACK lands among them depends on TCP.
  { sample: 'nghttp-continuation', server: [], client: (b) => ['-nv', '--continuation', `${b}/1k`], dropSentAck: true },
];

for (const tr of TRACES) {
  const file = path.join(SAMPLES, `${tr.sample}.server.txt`);
  const title = `-v trace equals the reference nghttpd's for the same nghttp session: ${tr.sample}`;
  const t_ = has(NGHTTP) && has(file) ? test : test.skip;
  const why = !has(file) ? ` (skipped: ${NO_REFERENCE_SAMPLES})` : !has(NGHTTP) ? ' (skipped: needs Debian package nghttp2-client)' : '';
  t_(`${title}${why}`, async (t) => {
    const www = makeDocroot();
    // The sample's files have these sizes.
    fs.writeFileSync(path.join(www, 'index.html'), Buffer.alloc(971, 'x'));
    fs.writeFileSync(path.join(www, 'style.css'), Buffer.alloc(17, 'y'));
    fs.writeFileSync(path.join(www, 'app.js'), Buffer.alloc(15, 'z'));
    const out: string[] = [];
    const s = await startServer(['-v', '-d', www, ...tr.server], { out });
    try {
      const r = await run(NGHTTP, tr.client(`http://127.0.0.1:${s.port}`, www));
      t.is(r.code, 0, r.stderr);
      const want = normaliseTrace(fs.readFileSync(file, 'latin1'), tr.dropSentAck);
      // nghttp has exited; the server's trace of its last frames may still be on its way.
      await until(() => JSON.stringify(normaliseTrace(out.join(''), tr.dropSentAck)) === JSON.stringify(want));
      t.deepEqual(normaliseTrace(out.join(''), tr.dropSentAck), want);
    } finally {
      await s.close();
      fs.rmSync(www, { recursive: true, force: true });
    }
  });
}
