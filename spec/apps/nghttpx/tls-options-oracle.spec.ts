/**
 * nghttpx TLS options beside Debian's /usr/sbin/nghttpx, seen through `openssl s_client`:
 * `--dh-param-file` (DHE suites only with it) and the HTTP/2 cipher suite block list (an h2
 * connection over a block-listed suite is closed with nothing sent; HTTP/1.1 over it is served;
 * `--no-http2-cipher-block-list` lets h2 through), `--psk-secrets`, and `--tls13-ciphers`,
 * `--ecdh-curves`, `--tls-min-proto-version`.
 */
import test from 'ava';
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { http2CipherBlocked } from '../../../lib/apps/nghttpx/tls';
import { hasOpenssl, OPENSSL, scratchPki } from '../../helpers/pki';
import { freePort, listenHttp, spawnNghttpx, stopProcess } from './helpers';

const HAVE = hasOpenssl() && fs.existsSync('/usr/sbin/nghttpx');
const t_ = HAVE ? test.serial : test.serial.skip;

const scratch = scratchPki('tls-opts-');
test.before(() => {
  if (!HAVE) return;
  // An RSA certificate (DHE-RSA and plain-RSA suites need one) and RFC 7919's ffdhe2048 group.
  execFileSync(
    OPENSSL,
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=localhost'],
    {
      cwd: scratch.dir,
      stdio: 'ignore',
    },
  );
  execFileSync(OPENSSL, ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048', '-out', 'dh.pem'], {
    cwd: scratch.dir,
    stdio: 'ignore',
  });
});

/** Run `scenario` against the reference and ours started with the same arguments (a TLS frontend). */
async function onBoth<V>(
  backend: number,
  args: string[],
  scenario: (port: number) => Promise<V>,
): Promise<Record<'reference' | 'ours', V>> {
  const out: Partial<Record<'reference' | 'ours', V>> = {};
  for (const who of ['reference', 'ours'] as const) {
    const port = await freePort();
    const all = [
      '--conf=/dev/null',
      '--errorlog-file=/dev/null',
      '--no-ocsp',
      `-f127.0.0.1,${port}`,
      `-b127.0.0.1,${backend}`,
      ...args,
      path.join(scratch.dir, 'key.pem'),
      path.join(scratch.dir, 'cert.pem'),
    ];
    const proc = await spawnNghttpx(who, all, [port]);
    try {
      out[who] = await scenario(port);
    } finally {
      await stopProcess(proc);
    }
  }
  return out as Record<'reference' | 'ours', V>;
}

/**
 * `openssl s_client` with `args`, `input` written once the handshake is done; resolves with stdout
 * (and stderr after it, where openssl writes a refused handshake's alert, when `withErrors`).
 */
function sClient(port: number, args: string[], input: string, withErrors = false): Promise<string> {
  return new Promise((resolve) => {
    const c = execFile(
      OPENSSL,
      ['s_client', '-connect', `127.0.0.1:${port}`, '-ign_eof', ...args],
      { timeout: 20000, encoding: 'latin1' },
      (_e, out, err) => resolve(withErrors ? `${out}\n${err}` : String(out)),
    );
    // openssl exits on a refused handshake before reading its stdin: that EPIPE is expected.
    c.stdin?.on('error', () => {});
    c.stdin?.end(input);
  });
}

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00';
const GET = 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';

t_('--dh-param-file: DHE suites only with it, as the reference', async (t) => {
  const backend = await listenHttp((_q, r) => r.end('ok'));
  try {
    const dhe = (port: number) =>
      sClient(port, ['-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256', '-alpn', 'http/1.1'], GET).then(
        (o) =>
          `${/Server Temp Key: ([^\n]*)/.exec(o)?.[1] ?? 'none'} | ${/Cipher is (\S+)/.exec(o)?.[1]} | ${/HTTP\/1\.1 (\d+)/.exec(o)?.[1] ?? '-'}`,
      );
    const without = await onBoth(backend.port, [], dhe);
    t.is(without.ours, 'none | (NONE) | -');
    t.is(without.ours, without.reference);
    const withFile = await onBoth(backend.port, [`--dh-param-file=${path.join(scratch.dir, 'dh.pem')}`], dhe);
    t.is(withFile.ours, 'DH, 2048 bits | DHE-RSA-AES128-GCM-SHA256 | 200');
    t.is(withFile.ours, withFile.reference);
  } finally {
    await backend.stop();
  }
});

t_(
  'HTTP/2 cipher suite block list: h2 over AES128-SHA is closed with nothing sent, HTTP/1.1 is served; --no-http2-cipher-block-list lets h2 through',
  async (t) => {
    const backend = await listenHttp((_q, r) => r.end('ok'));
    try {
      const look = async (port: number) => {
        const h2 = await sClient(port, ['-tls1_2', '-cipher', 'AES128-SHA', '-alpn', 'h2', '-quiet'], PREFACE);
        const h1 = await sClient(port, ['-tls1_2', '-cipher', 'AES128-SHA', '-alpn', 'http/1.1', '-quiet'], GET);
        // The server's first frame (SETTINGS, type 4) or nothing.
        return `h2: ${h2.length ? `frame type ${h2.charCodeAt(3)}` : 'nothing'} | h1: ${/HTTP\/1\.1 (\d+)/.exec(h1)?.[1] ?? '-'}`;
      };
      const ciphers = '--ciphers=AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256';
      const blocked = await onBoth(backend.port, [ciphers], look);
      t.is(blocked.ours, 'h2: nothing | h1: 200');
      t.is(blocked.ours, blocked.reference);
      const allowed = await onBoth(backend.port, [ciphers, '--no-http2-cipher-block-list'], look);
      t.is(allowed.ours, 'h2: frame type 4 | h1: 200');
      t.is(allowed.ours, allowed.reference);
    } finally {
      await backend.stop();
    }
  },
);

t_('--psk-secrets: a TLSv1.2 PSK suite with a known identity is served, an unknown one is not, as the reference', async (t) => {
  const backend = await listenHttp((_q, r) => r.end('ok'));
  const file = path.join(scratch.dir, 'psk.txt');
  fs.writeFileSync(file, '# identities\n\nfoo:00112233445566778899aabbccddeeff\n');
  try {
    const look = async (port: number) => {
      const seen: string[] = [];
      for (const id of ['foo', 'bar']) {
        const o = await sClient(
          port,
          [
            '-tls1_2',
            '-cipher',
            'PSK-AES128-GCM-SHA256',
            '-psk_identity',
            id,
            '-psk',
            '00112233445566778899aabbccddeeff',
            '-alpn',
            'http/1.1',
          ],
          GET,
        );
        seen.push(`${id}: ${/HTTP\/1\.1 (\d+)/.exec(o)?.[1] ?? 'refused'}`);
      }
      return seen.join(', ');
    };
    const r = await onBoth(backend.port, [`--psk-secrets=${file}`, '--ciphers=PSK-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256'], look);
    t.is(r.ours, 'foo: 200, bar: refused');
    t.is(r.ours, r.reference);
  } finally {
    await backend.stop();
  }
});

t_('--tls13-ciphers, --ecdh-curves and --tls-min-proto-version: openssl s_client sees the handshakes of the reference', async (t) => {
  const backend = await listenHttp((_q, r) => r.end('ok'));
  try {
    const args = ['--tls13-ciphers=TLS_CHACHA20_POLY1305_SHA256', '--ecdh-curves=P-384', '--tls-min-proto-version=TLSv1.3'];
    // What decides each handshake, with the error lines' process-specific prefix cut off.
    const summary = (out: string) =>
      out
        .split('\n')
        .filter((l) => /Cipher is|Server Temp Key|alert/.test(l))
        .map((l) => l.replace(/^[0-9A-F]+:error:/, 'error:').replace(/:\.\.\/ssl.*$/, ''))
        .join(' | ');
    const seen = await onBoth(backend.port, args, async (port) => ({
      tls13: summary(await sClient(port, ['-tls1_3', '-alpn', 'http/1.1'], GET, true)),
      tls12: summary(await sClient(port, ['-tls1_2', '-alpn', 'http/1.1'], GET, true)),
      x25519Only: summary(await sClient(port, ['-tls1_3', '-groups', 'X25519', '-alpn', 'http/1.1'], GET, true)),
    }));
    t.deepEqual(seen.ours, seen.reference);
    t.regex(seen.ours.tls13, /TLSv1\.3, Cipher is TLS_CHACHA20_POLY1305_SHA256/);
    t.regex(seen.ours.tls13, /Server Temp Key: ECDH, secp384r1/);
    t.regex(seen.ours.tls12, /protocol version/);
    t.regex(seen.ours.x25519Only, /handshake failure/);
  } finally {
    await backend.stop();
  }
});

test('http2CipherBlocked: RFC 7540 Appendix A as a rule', (t) => {
  t.false(http2CipherBlocked('TLSv1.3', 'TLS_AES_128_GCM_SHA256'));
  t.false(http2CipherBlocked('TLSv1.2', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'));
  t.false(http2CipherBlocked('TLSv1.2', 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256'));
  t.false(http2CipherBlocked('TLSv1.2', 'TLS_DHE_RSA_WITH_AES_128_CCM'));
  t.true(http2CipherBlocked('TLSv1.2', 'TLS_RSA_WITH_AES_128_CBC_SHA'));
  t.true(http2CipherBlocked('TLSv1.2', 'TLS_RSA_WITH_AES_128_GCM_SHA256'));
  t.true(http2CipherBlocked('TLSv1.2', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256'));
  t.true(http2CipherBlocked('TLSv1.2', 'TLS_PSK_WITH_AES_128_GCM_SHA256'));
  t.true(http2CipherBlocked('TLSv1.1', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'));
});
