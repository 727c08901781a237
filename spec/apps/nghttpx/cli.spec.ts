/** bin/nghttpx as a process: usage errors, help, SIGQUIT graceful shutdown with requests in flight, SIGTERM. */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as http2 from 'http2';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { freePort, OUR_NGHTTPX, runClient, spawnServer, startEchoBackend, stopProcess } from './helpers';
import { until } from '../../helpers/wait';

test('a bad option or value: one message naming it, exit 1', async (t) => {
  for (const [args, msg] of [
    [['--bogus'], "unrecognized option '--bogus'"],
    [['-c', 'x'], 'frontend-http2-max-concurrent-streams: bad value'],
    [['-b', 'nohost'], 'backend: Invalid host, port: nohost'],
    [['-f', '127.0.0.1,0;quic'], 'frontend: quic: this nghttpx has no HTTP/3'],
    [['-f', '127.0.0.1,0'], 'TLS frontend needs <PRIVATE_KEY> and <CERT>'],
  ] as [string[], string][]) {
    const r = await runClient(process.execPath, [OUR_NGHTTPX, '--conf=/dev/null', ...args]);
    t.is(r.code, 1, args.join(' '));
    t.true(r.stderr.includes(` ERROR (nghttpx.ts) ${msg}`), r.stderr);
    t.true(r.stderr.includes('FATAL'), r.stderr);
  }
});

test('--help says what is not built yet; -v prints the version', async (t) => {
  const h = await runClient(process.execPath, [OUR_NGHTTPX, '--help']);
  t.is(h.code, 0);
  t.regex(h.stdout.toString(), /^Usage: nghttpx \[OPTIONS\]\.\.\. \[<PRIVATE_KEY> <CERT>\]/);
  t.regex(h.stdout.toString(), /Not built yet/);
  t.regex(h.stdout.toString(), /--backend-http-proxy-uri=<URI>\n/);
  const v = await runClient(process.execPath, [OUR_NGHTTPX, '-v']);
  t.regex(v.stdout.toString(), /^nghttpx nghttp2-ts\/\d+\.\d+\.\d+\n$/);
});

test('SIGQUIT: stop accepting, GOAWAY to h2 clients, in-flight h2 and HTTP/1.1 requests finish, exit 0', async (t) => {
  const echo = await startEchoBackend();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-cli-'));
  const errlog = path.join(dir, 'error.log');
  const proc = await spawnServer(
    'our nghttpx',
    process.execPath,
    [OUR_NGHTTPX, '--conf=/dev/null', `-f127.0.0.1,${port};no-tls`, `-b127.0.0.1,${echo.port}`, `--errorlog-file=${errlog}`],
    [port],
  );
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let client: http2.ClientHttp2Session | undefined;
  try {
    client = http2.connect(`http://127.0.0.1:${port}`);
    let goaway = false;
    client.on('goaway', () => (goaway = true));
    client.on('error', () => undefined);
    const h2done = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = client!.request({ ':path': '/slow/h2' });
      let status = 0;
      let body = '';
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => resolve({ status, body }));
      req.on('error', reject);
      req.end();
    });
    const h1done = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/slow/h1', agent: new http.Agent({ keepAlive: true }) }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
    });
    // Both requests reached the backend (bounded wait), and are held there for 600 ms.
    await until(() => echo.seen.filter((s) => s.url.startsWith('/slow')).length >= 2);
    t.is(echo.seen.filter((s) => s.url.startsWith('/slow')).length, 2);
    proc.kill('SIGQUIT');
    // The listener closes once the signal is handled: polled, with a deadline.
    const refused = await until(
      () =>
        new Promise<boolean>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => {
            s.destroy();
            resolve(false);
          });
          s.once('error', () => resolve(true));
        }),
    );
    t.true(refused, 'no new connections after SIGQUIT');
    const [a, b] = await Promise.all([h2done, h1done]);
    t.is(a.status, 200);
    t.is(JSON.parse(a.body).url, '/slow/h2');
    t.is(b.status, 200);
    t.is(JSON.parse(b.body).url, '/slow/h1');
    t.true(goaway);
    t.is(await exited, 0);
    const log = fs.readFileSync(errlog, 'utf8');
    t.regex(log, / NOTICE \(\S+\) Listening on 127\.0\.0\.1:\d+\n/);
    t.regex(log, / NOTICE \(\S+\) Graceful shutdown signal received\n/);
  } finally {
    client?.destroy();
    await stopProcess(proc, 'SIGKILL');
    await echo.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM exits at once', async (t) => {
  const port = await freePort();
  const proc = await spawnServer(
    'our nghttpx',
    process.execPath,
    [OUR_NGHTTPX, '--conf=/dev/null', `-f127.0.0.1,${port};no-tls`, '-b127.0.0.1,9', '--errorlog-file=/dev/null'],
    [port],
  );
  try {
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    t.is(await exited, 0);
  } finally {
    await stopProcess(proc, 'SIGKILL');
  }
});
