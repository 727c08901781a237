/**
 * nghttpx's TLS options for backend connections beside Debian's /usr/sbin/nghttpx: the HTTP/2
 * cipher suite block list on h2 backends (`--client-no-http2-cipher-block-list` lifts it) and
 * `--client-psk-secrets` (a TLSv1.2 PSK suite, no certificate) to HTTP/1.1 and h2 backends.
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as http2 from 'http2';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as path from 'path';
import type * as tls from 'tls';
import { scratchPki } from '../../helpers/pki';
import { FIXTURES, freePort, OUR_NGHTTPX, spawnServer, stopProcess } from './helpers';

const REF = '/usr/sbin/nghttpx';
const t_ = fs.existsSync(REF) ? test.serial : test.serial.skip;

const scratch = scratchPki('tls-client-');

type Server = http.Server | https.Server | http2.Http2SecureServer;

/** Listen on 127.0.0.1, port 0; resolves with the port and a stop function. */
async function listen(server: Server): Promise<{ port: number; stop(): Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((r) => {
        (server as http.Server).closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

/** One GET through a cleartext frontend of the reference and of ours with `args`: "status body". */
async function onBoth(args: string[]): Promise<Record<'reference' | 'ours', string>> {
  const out: Partial<Record<'reference' | 'ours', string>> = {};
  for (const who of ['reference', 'ours'] as const) {
    const port = await freePort();
    const all = ['--conf=/dev/null', '--errorlog-file=/dev/null', `-f127.0.0.1,${port};no-tls`, ...args];
    const proc =
      who === 'reference'
        ? await spawnServer('Debian nghttpx', REF, all, [port])
        : await spawnServer('our nghttpx', process.execPath, [OUR_NGHTTPX, ...all], [port]);
    try {
      out[who] = await new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 20000 }, (res) => {
          let body = '';
          res.setEncoding('latin1');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve(`${res.statusCode} ${res.statusCode === 200 ? body : ''}`.trim()));
        });
        req.on('timeout', () => req.destroy(new Error('no answer in 20 s')));
        req.on('error', reject);
      });
    } finally {
      await stopProcess(proc);
    }
  }
  return out as Record<'reference' | 'ours', string>;
}

t_(
  'HTTP/2 cipher suite block list on an h2 backend over AES128-SHA: refused (502) by default, used with --client-no-http2-cipher-block-list, as the reference',
  async (t) => {
    const suites: string[] = [];
    const server = http2.createSecureServer(
      {
        key: fs.readFileSync(path.join(FIXTURES, 'server.key')),
        cert: fs.readFileSync(path.join(FIXTURES, 'server.crt')),
        ciphers: 'AES128-SHA',
        maxVersion: 'TLSv1.2',
      },
      (req, res) => {
        suites.push((req.socket as tls.TLSSocket).getCipher().name);
        res.end('over a block-listed suite');
      },
    );
    const backend = await listen(server);
    try {
      const args = [`-b127.0.0.1,${backend.port};;proto=h2;tls`, '--insecure', '--client-ciphers=AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256'];
      const refused = await onBoth(args);
      t.is(refused.ours, '502');
      t.is(refused.ours, refused.reference);
      t.deepEqual(suites, [], 'no request reached the backend');
      const allowed = await onBoth([...args, '--client-no-http2-cipher-block-list']);
      t.is(allowed.ours, '200 over a block-listed suite');
      t.is(allowed.ours, allowed.reference);
      t.deepEqual(suites, ['AES128-SHA', 'AES128-SHA']);
    } finally {
      await backend.stop();
    }
  },
);

t_(
  '--client-psk-secrets: HTTP/1.1 and h2 backends over TLSv1.2 PSK suites (no certificate) with the first identity of the file, as the reference',
  async (t) => {
    const file = path.join(scratch.dir, 'client-psk.txt');
    fs.writeFileSync(file, '# backend PSK\n\nnghttpx-ts:00112233445566778899aabbccddeeff\nsecond:ffee\n');
    const secret = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const identities: string[] = [];
    const psk = {
      maxVersion: 'TLSv1.2' as const,
      pskCallback: (_socket: tls.TLSSocket, identity: string) => {
        identities.push(identity);
        return identity === 'nghttpx-ts' ? secret : null;
      },
    };
    const answer = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) =>
      res.end(`${req.httpVersion} over ${(req.socket as tls.TLSSocket).getCipher().name}`);
    const h1 = await listen(https.createServer({ ...psk, ciphers: 'PSK-AES128-GCM-SHA256' }, answer));
    // ECDHE-PSK with ChaCha20-Poly1305 is not block-listed for HTTP/2 (plain PSK-AES128-GCM-SHA256 is).
    const h2 = await listen(http2.createSecureServer({ ...psk, ciphers: 'ECDHE-PSK-CHACHA20-POLY1305' }, answer));
    try {
      const ciphers = `--client-ciphers=PSK-AES128-GCM-SHA256:ECDHE-PSK-CHACHA20-POLY1305`;
      const viaH1 = await onBoth([`-b127.0.0.1,${h1.port};;tls`, ciphers, `--client-psk-secrets=${file}`]);
      t.is(viaH1.ours, '200 1.1 over PSK-AES128-GCM-SHA256');
      t.is(viaH1.ours, viaH1.reference);
      const viaH2 = await onBoth([`-b127.0.0.1,${h2.port};;proto=h2;tls`, ciphers, `--client-psk-secrets=${file}`]);
      t.is(viaH2.ours, '200 2.0 over ECDHE-PSK-CHACHA20-POLY1305');
      t.is(viaH2.ours, viaH2.reference);
      t.true(identities.length >= 4 && identities.every((i) => i === 'nghttpx-ts'), identities.join(','));
      // Without the option no PSK is offered: the backend connection fails.
      const without = await onBoth([`-b127.0.0.1,${h1.port};;tls`, ciphers]);
      t.is(without.ours, '502');
      t.is(without.ours, without.reference);
    } finally {
      await h1.stop();
      await h2.stop();
    }
  },
);
