/**
 * nghttpx TLS: --subcert picked by SNI (openssl s_client -servername), --verify-client with
 * curl's client certificates (and --verify-client-tolerate-expired), $tls_* in the access log,
 * protocol versions and ciphers, session ticket keys shared through --tls-ticket-key-file, and TLS
 * backends (h1 and h2) with --cacert, -k, sni= and a client certificate. Certificates are made
 * with openssl at test time; the same SNI setup is checked against Debian's nghttpx.
 */
import test from 'ava';
import { execFileSync, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http2 from 'http2';
import * as https from 'https';
import type * as net from 'net';
import * as path from 'path';
import * as tls from 'tls';
import { startNghttpx, NghttpxProxy } from '../../../lib/apps/nghttpx/proxy';
import { parseArgs } from '../../../lib/apps/nghttpx/options';
import { hasOpenssl, OPENSSL, Pki, scratchPki } from '../../helpers/pki';
import { waitFor } from '../../helpers/wait';
import { freePort, own, runClient, spawnServer, startEchoBackend, stopProcess } from './helpers';

const ok = hasOpenssl() && fs.existsSync('/usr/bin/curl');
const t_ = ok ? test : test.skip;
if (!ok) test('nghttpx TLS specs skipped: they need openssl and curl', (t) => t.pass());

let pki: Pki;
let echo: Awaited<ReturnType<typeof startEchoBackend>>;

const scratch = scratchPki('nghttpx-tls-', ['default.test', 'a.test', 'b.test', 'backend.test']);
test.before(() => {
  if (ok) pki = scratch.pki();
});
test.before(async () => {
  if (ok) echo = await startEchoBackend();
});
test.after.always(async () => {
  await echo?.stop();
});

async function proxyWith(args: string[]): Promise<{ proxy: NghttpxProxy; port: number; log: string; errors: string[] }> {
  const log = path.join(pki.dir, `access-${crypto.randomBytes(4).toString('hex')}.log`);
  const parsed = parseArgs(['--conf=/dev/null', '-f127.0.0.1,0', `--accesslog-file=${log}`, ...args]);
  if (parsed.kind !== 'run') throw new Error('bad args');
  const errors: string[] = [];
  const proxy = await startNghttpx(parsed.options, { errorLog: (l) => errors.push(l) });
  return { proxy, port: proxy.ports[0], log, errors };
}

const defaults = () => [`-b127.0.0.1,${echo.port}`, pki.servers['default.test'].key, pki.servers['default.test'].cert];

/** Connect with `servername`, return the CN of the certificate the server chose. */
function certCn(
  port: number,
  servername: string | undefined,
  extra: tls.ConnectionOptions = {},
): Promise<{ cn: string; socket: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], ...extra }, () => {
      resolve({ cn: String(s.getPeerCertificate().subject?.CN), socket: s });
    });
    s.once('error', reject);
  });
}

/** `openssl s_client` with stdin at EOF (it says goodbye at once); resolves with its stdout. */
function sClient(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = own(spawn(OPENSSL, ['s_client', ...args], { stdio: ['ignore', 'pipe', 'ignore'] }));
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
    p.once('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** Wait until the access log has `n` lines (bounded at 20 s: a loaded machine delays the proxy's log write). */
async function logLines(file: string, n: number): Promise<string[]> {
  const read = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  await waitFor(`${n} lines in the access log ${file}`, () => read().length >= n);
  return read();
}

t_('--subcert: SNI picks the certificate (openssl s_client -servername), the default for unknown names', async (t) => {
  const { proxy, port } = await proxyWith([
    `--subcert=${pki.servers['a.test'].key}:${pki.servers['a.test'].cert}`,
    `--subcert=${pki.servers['b.test'].key}:${pki.servers['b.test'].cert}`,
    ...defaults(),
  ]);
  try {
    for (const [name, cn] of [
      ['a.test', 'a.test'],
      ['b.test', 'b.test'],
      ['other.test', 'default.test'],
    ]) {
      const out = await sClient(['-connect', `127.0.0.1:${port}`, '-servername', name, '-CAfile', pki.ca.cert, '-verify_return_error']);
      t.regex(out, new RegExp(`subject=.*CN = ${cn.replace('.', '\\.')}`), `SNI ${name}`);
    }
    // Node's client too, and no SNI at all gets the default certificate.
    t.is((await certCn(port, 'b.test')).cn, 'b.test');
    const none = await certCn(port, undefined);
    t.is(none.cn, 'default.test');
    none.socket.destroy();
  } finally {
    await proxy.shutdown(1000);
  }
});

t_(
  '--verify-client: curl with the client certificate gets through, without it the handshake fails; $tls_* in the access log',
  async (t) => {
    const fmt =
      '$alpn $tls_protocol $tls_cipher $tls_session_reused $tls_sni $tls_client_subject_name $tls_client_issuer_name $tls_client_serial $tls_client_fingerprint_sha256 $tls_client_fingerprint_sha1 $tls_session_id';
    const { proxy, port, log } = await proxyWith([
      '--verify-client',
      `--verify-client-cacert=${pki.ca.cert}`,
      `--accesslog-format=${fmt}`,
      ...defaults(),
    ]);
    try {
      const url = `https://default.test:${port}/hello`;
      const base = ['-s', '--resolve', `default.test:${port}:127.0.0.1`, '--cacert', pki.ca.cert];
      const good = await runClient('curl', [...base, '--http2', '--cert', pki.client.cert, '--key', pki.client.key, url]);
      t.is(good.code, 0, good.stderr);
      t.is(JSON.parse(good.stdout.toString()).url, '/hello');
      const bad = await runClient('curl', [...base, url]);
      t.not(bad.code, 0);
      const [line] = await logLines(log, 1);
      const x = new crypto.X509Certificate(fs.readFileSync(pki.client.cert));
      const f = line.split(' ');
      t.deepEqual(f.slice(0, 2), ['h2', 'TLSv1.3']);
      t.regex(f[2], /^TLS_/);
      t.is(f[3], '.');
      t.is(f[4], 'default.test');
      t.is(f[5], 'CN=client,O=Test');
      t.is(line.split(' ').slice(6, 8).join(' '), 'CN=Test CA');
      t.is(f[8], x.serialNumber.toLowerCase());
      t.is(f[9], x.fingerprint256.replace(/:/g, '').toLowerCase());
      t.is(f[10], x.fingerprint.replace(/:/g, '').toLowerCase());
      // $tls_session_id: 32 bytes in hex on TLSv1.3, as Debian's nghttpx prints it.
      t.regex(f[11], /^[0-9a-f]{64}$/);
    } finally {
      await proxy.shutdown(1000);
    }
  },
);

t_('--verify-client-tolerate-expired lets an expired client certificate in; without it the handshake fails', async (t) => {
  const expired = ['--cert', pki.expiredClient.cert, '--key', pki.expiredClient.key];
  for (const tolerate of [false, true]) {
    const { proxy, port } = await proxyWith([
      '--verify-client',
      `--verify-client-cacert=${pki.ca.cert}`,
      ...(tolerate ? ['--verify-client-tolerate-expired'] : []),
      ...defaults(),
    ]);
    try {
      const base = ['-s', '--resolve', `default.test:${port}:127.0.0.1`, '--cacert', pki.ca.cert];
      const r = await runClient('curl', [...base, ...expired, `https://default.test:${port}/x`]);
      if (tolerate) t.is(r.code, 0, r.stderr);
      else t.not(r.code, 0);
      // An untrusted or absent certificate stays out either way.
      t.not((await runClient('curl', [...base, `https://default.test:${port}/x`])).code, 0);
    } finally {
      await proxy.shutdown(1000);
    }
  }
});

t_('--tls-max-proto-version and --ciphers decide the handshake', async (t) => {
  const { proxy, port } = await proxyWith(['--tls-max-proto-version=TLSv1.2', '--ciphers=ECDHE-ECDSA-AES256-GCM-SHA384', ...defaults()]);
  try {
    const { socket } = await certCn(port, 'default.test');
    t.is(socket.getProtocol(), 'TLSv1.2');
    t.is(socket.getCipher().name, 'ECDHE-ECDSA-AES256-GCM-SHA384');
    socket.destroy();
    await t.throwsAsync(certCn(port, 'default.test', { minVersion: 'TLSv1.3' }));
  } finally {
    await proxy.shutdown(1000);
  }
});

t_('--tls-ticket-key-file: a session ticket from one proxy resumes on another with the same key file', async (t) => {
  const keyFile = path.join(pki.dir, 'ticket.key');
  fs.writeFileSync(keyFile, crypto.randomBytes(48));
  const one = await proxyWith([
    `--tls-ticket-key-file=${keyFile}`,
    '--tls-max-proto-version=TLSv1.2',
    '--accesslog-format=$tls_session_reused',
    ...defaults(),
  ]);
  const two = await proxyWith([
    `--tls-ticket-key-file=${keyFile}`,
    '--tls-max-proto-version=TLSv1.2',
    '--accesslog-format=$tls_session_reused',
    ...defaults(),
  ]);
  const other = await proxyWith(['--tls-max-proto-version=TLSv1.2', ...defaults()]);
  try {
    const first = await certCn(one.port, 'default.test');
    const session = await new Promise<Buffer>((resolve) => {
      const s = first.socket.getSession();
      if (s) resolve(s);
      else first.socket.once('session', resolve);
    });
    first.socket.destroy();
    const again = await certCn(two.port, 'default.test', { session });
    t.true(again.socket.isSessionReused());
    // A GET on the resumed connection logs 'r'.
    again.socket.write('GET /r HTTP/1.1\r\nhost: default.test\r\nconnection: close\r\n\r\n');
    await new Promise((r) => again.socket.once('end', r).resume());
    t.deepEqual(await logLines(two.log, 1), ['r']);
    const elsewhere = await certCn(other.port, 'default.test', { session });
    t.false(elsewhere.socket.isSessionReused());
    elsewhere.socket.destroy();
    // Several files: the first key encrypts, every key decrypts (tickets-oracle.spec.ts compares
    // this with the reference through openssl s_client).
    const newer = path.join(pki.dir, 'ticket-new.key');
    fs.writeFileSync(newer, crypto.randomBytes(48));
    for (const files of [
      [keyFile, newer],
      [newer, keyFile],
    ]) {
      const p = await proxyWith([...files.map((f) => `--tls-ticket-key-file=${f}`), '--tls-max-proto-version=TLSv1.2', ...defaults()]);
      try {
        const c = await certCn(p.port, 'default.test', { session });
        t.true(c.socket.isSessionReused(), files.join(','));
        c.socket.destroy();
      } finally {
        await p.proxy.shutdown(1000);
      }
    }
  } finally {
    await Promise.all([one.proxy.shutdown(1000), two.proxy.shutdown(1000), other.proxy.shutdown(1000)]);
  }
});

/** An h1 (https) or h2 TLS backend that records the SNI and client certificate it saw. */
async function tlsBackend(
  kind: 'h1' | 'h2',
  requireClientCert: boolean,
): Promise<{ port: number; seen: { sni: string | false; clientCn: string | undefined }[]; close(): Promise<void> }> {
  const seen: { sni: string | false; clientCn: string | undefined }[] = [];
  const opts = {
    key: fs.readFileSync(pki.servers['backend.test'].key),
    cert: fs.readFileSync(pki.servers['backend.test'].cert),
    ca: fs.readFileSync(pki.ca.cert),
    requestCert: requireClientCert,
    rejectUnauthorized: requireClientCert,
  };
  const record = (sock: tls.TLSSocket) =>
    seen.push({
      sni: (sock as tls.TLSSocket & { servername: string | false }).servername,
      clientCn: String(sock.getPeerCertificate()?.subject?.CN),
    });
  let server: net.Server;
  if (kind === 'h2') {
    const s = http2.createSecureServer(opts);
    s.on('stream', (st) => {
      record(st.session!.socket as tls.TLSSocket);
      st.respond({ ':status': 200 });
      st.end('h2 backend\n');
    });
    server = s;
  } else {
    server = https.createServer(opts, (req, res) => {
      record(req.socket as tls.TLSSocket);
      res.end('h1 backend\n');
    });
  }
  // Every accepted socket is destroyed on close, so close() ends on the server's 'close' event
  // (an http2 server has no closeAllConnections; its sessions would hold close() open).
  const sockets = new Set<net.Socket>();
  server.on('connection', (sock: net.Socket) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const sock of sockets) sock.destroy();
      }),
  };
}

for (const kind of ['h1', 'h2'] as const) {
  t_(
    `${kind} TLS backend: --cacert verifies it, sni= names it, --client-cert-file/--client-private-key-file answer its request; -k skips verification`,
    async (t) => {
      const be = await tlsBackend(kind, true);
      const proto = kind === 'h2' ? ';proto=h2' : '';
      const client = [`--client-cert-file=${pki.client.cert}`, `--client-private-key-file=${pki.client.key}`];
      const setups: [string[], number][] = [
        [[`-b127.0.0.1,${be.port};;tls;sni=backend.test${proto}`, `--cacert=${pki.ca.cert}`, ...client], 200],
        // No --cacert: the backend's certificate does not verify; -k accepts it.
        [[`-b127.0.0.1,${be.port};;tls;sni=backend.test${proto}`, ...client], 502],
        [[`-b127.0.0.1,${be.port};;tls;sni=backend.test${proto}`, '-k', ...client], 200],
        // No client certificate: the backend refuses the handshake.
        [[`-b127.0.0.1,${be.port};;tls;sni=backend.test${proto}`, `--cacert=${pki.ca.cert}`], 502],
      ];
      try {
        for (const [args, status] of setups) {
          const parsed = parseArgs(['--conf=/dev/null', '-f127.0.0.1,0;no-tls', ...args]);
          if (parsed.kind !== 'run') throw new Error('bad args');
          const proxy = await startNghttpx(parsed.options, { errorLog: () => undefined });
          try {
            const r = await runClient('curl', [
              '-s',
              '-o',
              '/dev/null',
              '-w',
              '%{http_code}',
              '--http2-prior-knowledge',
              `http://127.0.0.1:${proxy.ports[0]}/`,
            ]);
            t.is(Number(r.stdout.toString()), status, args.join(' '));
          } finally {
            await proxy.shutdown(1000);
          }
        }
        t.true(be.seen.length >= 2);
        for (const s of be.seen) t.deepEqual(s, { sni: 'backend.test', clientCn: 'client' });
      } finally {
        await be.close();
      }
    },
  );
}

t_('--private-key-passwd-file decrypts the key; a wrong password or a file others can read is refused (as the reference)', async (t) => {
  const enc = path.join(pki.dir, 'enc.key');
  execFileSync(OPENSSL, ['ec', '-in', pki.servers['default.test'].key, '-aes256', '-passout', 'pass:s3cret', '-out', enc], {
    stdio: 'ignore',
  });
  const pass = (name: string, text: string, mode: number) => {
    const f = path.join(pki.dir, name);
    fs.writeFileSync(f, text);
    fs.chmodSync(f, mode);
    return f;
  };
  const start = (file: string) => {
    const parsed = parseArgs([
      '--conf=/dev/null',
      '-f127.0.0.1,0',
      `-b127.0.0.1,${echo.port}`,
      `--private-key-passwd-file=${file}`,
      enc,
      pki.servers['default.test'].cert,
    ]);
    if (parsed.kind !== 'run') throw new Error('bad args');
    return startNghttpx(parsed.options, { errorLog: () => undefined });
  };
  const proxy = await start(pass('pass.txt', 's3cret\n', 0o600));
  try {
    t.is((await certCn(proxy.ports[0], 'default.test')).cn, 'default.test');
  } finally {
    await proxy.shutdown(1000);
  }
  await t.throwsAsync(start(pass('wrong.txt', 'wrong\n', 0o600)), { message: /bad decrypt|private key/ });
  // Debian's nghttpx: "Private key passwd file ... has insecure mode." for 0640, 0604 and 0000.
  for (const mode of [0o640, 0o604, 0o000]) {
    await t.throwsAsync(start(pass(`open-${mode.toString(8)}.txt`, 's3cret\n', mode)), {
      message: /private-key-passwd-file: .* insecure mode/,
    });
  }
});

t_('bad TLS files: a one-line error naming the option', async (t) => {
  const bad = parseArgs([
    '--conf=/dev/null',
    '-f127.0.0.1,0',
    `-b127.0.0.1,${echo.port}`,
    `--subcert=${pki.dir}/missing.key:${pki.dir}/missing.crt`,
    pki.servers['default.test'].key,
    pki.servers['default.test'].cert,
  ]);
  if (bad.kind !== 'run') return t.pass();
  await t.throwsAsync(startNghttpx(bad.options, { errorLog: () => undefined }), { message: /subcert/ });
});

const DEBIAN = '/usr/sbin/nghttpx';
(ok && fs.existsSync(DEBIAN) ? test : test.skip)("the same SNI setup through Debian's nghttpx picks the same certificates", async (t) => {
  const port = await freePort();
  const conf = path.join(pki.dir, 'empty.conf');
  fs.writeFileSync(conf, '');
  const proc = await spawnServer(
    'Debian nghttpx',
    DEBIAN,
    [
      `--conf=${conf}`,
      `-f127.0.0.1,${port}`,
      `-b127.0.0.1,${echo.port}`,
      '--no-ocsp',
      `--subcert=${pki.servers['a.test'].key}:${pki.servers['a.test'].cert}`,
      `--subcert=${pki.servers['b.test'].key}:${pki.servers['b.test'].cert}`,
      pki.servers['default.test'].key,
      pki.servers['default.test'].cert,
      '--errorlog-file=/dev/null',
    ],
    [port],
  );
  try {
    for (const [name, cn] of [
      ['a.test', 'a.test'],
      ['b.test', 'b.test'],
      ['other.test', 'default.test'],
    ]) {
      const c = await certCn(port, name);
      t.is(c.cn, cn, `SNI ${name}`);
      c.socket.destroy();
    }
  } finally {
    await stopProcess(proc);
  }
});

(ok && fs.existsSync(DEBIAN) ? test : test.skip)(
  "--verify-client through Debian's nghttpx: the same curl outcomes (client certificate, none, expired) and the same $tls_* log fields as ours",
  async (t) => {
    const fmt =
      '$alpn $tls_protocol $tls_cipher $tls_session_reused $tls_sni $tls_client_subject_name $tls_client_issuer_name $tls_client_serial $tls_client_fingerprint_sha256 $tls_client_fingerprint_sha1';
    const common = ['--verify-client', `--verify-client-cacert=${pki.ca.cert}`, `--accesslog-format=${fmt}`, '--no-ocsp'];
    const run = async (port: number) => {
      const base = ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--resolve', `default.test:${port}:127.0.0.1`, '--cacert', pki.ca.cert];
      const url = `https://default.test:${port}/v`;
      const codes: string[] = [];
      for (const extra of [
        ['--http2', '--cert', pki.client.cert, '--key', pki.client.key],
        ['--http1.1', '--cert', pki.client.cert, '--key', pki.client.key],
        ['--http2'],
        ['--http2', '--cert', pki.expiredClient.cert, '--key', pki.expiredClient.key],
      ]) {
        codes.push((await runClient('curl', [...base, ...extra, url])).stdout.toString());
      }
      return codes;
    };
    const ours = await proxyWith(common.concat(defaults()));
    let oursCodes: string[];
    let oursLog: string[];
    try {
      oursCodes = await run(ours.port);
      oursLog = await logLines(ours.log, 2);
    } finally {
      await ours.proxy.shutdown(1000);
    }
    const port = await freePort();
    const refLog = path.join(pki.dir, `access-ref-${crypto.randomBytes(4).toString('hex')}.log`);
    const proc = await spawnServer(
      'Debian nghttpx',
      DEBIAN,
      ['--conf=/dev/null', `-f127.0.0.1,${port}`, `--accesslog-file=${refLog}`, '--errorlog-file=/dev/null', ...common, ...defaults()],
      [port],
    );
    try {
      t.deepEqual(await run(port), oursCodes);
      t.deepEqual(await logLines(refLog, 2), oursLog);
    } finally {
      await stopProcess(proc);
    }
    t.deepEqual(oursCodes, ['200', '200', '000', '000']);
  },
);
