/**
 * nghttpd's -V/--verify-client against real clients, side by side with Debian's nghttpd: a
 * client without a certificate gets no answer (the handshake is ended), one with a certificate
 * (not verified, as the reference: "this option just requests a client certificate and does not
 * verify it") is served.
 */
import test from 'ava';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { freePort } from '../../helpers/net';
import { hasOpenssl, scratchPki } from '../../helpers/pki';
import { repoRoot } from '../../helpers/repo';
import { spawnServer, stopProcess } from '../nghttpx/helpers';

const HAVE = hasOpenssl() && fs.existsSync('/usr/sbin/nghttpd') && fs.existsSync('/usr/bin/curl');
const t_ = HAVE ? test.serial : test.serial.skip;
const OURS = path.join(repoRoot(), 'bin', 'nghttpd');

const scratch = scratchPki('nghttpd-tls-');

async function serve(name: string, cmd: string, args: string[]): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = await spawnServer(name, cmd, [...args.map((a) => (a === 'PORT' ? String(port) : a))], [port]);
  return { port, stop: () => stopProcess(proc) };
}

/** curl's HTTP status ('000' when no response came). */
function curl(port: number, extra: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sk', '--http2', '--max-time', '30', '-o', '/dev/null', '-w', '%{http_code}', ...extra, `https://127.0.0.1:${port}/index.html`],
      (_err, stdout) => resolve(String(stdout)),
    );
  });
}

t_('-V: no client certificate, no answer; any client certificate, served (ours and Debian nghttpd)', async (t) => {
  const pki = scratch.pki();
  const docroot = fs.mkdtempSync(path.join(pki.dir, 'htdocs-'));
  fs.writeFileSync(path.join(docroot, 'index.html'), 'hello\n');
  const { key, cert } = pki.servers.localhost;
  const ref = await serve('Debian nghttpd', '/usr/sbin/nghttpd', ['-V', '-d', docroot, 'PORT', key, cert]);
  const ours = await serve('our nghttpd', process.execPath, [OURS, '-V', '-d', docroot, 'PORT', key, cert]);
  try {
    for (const [name, s] of [
      ['reference', ref],
      ['ours', ours],
    ] as const) {
      t.is(await curl(s.port, []), '000', `${name}: no certificate`);
      t.is(await curl(s.port, ['--tlsv1.2', '--tls-max', '1.2']), '000', `${name}: no certificate, TLSv1.2`);
      t.is(await curl(s.port, ['--cert', pki.client.cert, '--key', pki.client.key]), '200', `${name}: client certificate`);
      // Not verified: an expired certificate is taken too.
      t.is(await curl(s.port, ['--cert', pki.expiredClient.cert, '--key', pki.expiredClient.key]), '200', `${name}: expired certificate`);
    }
    // Our nghttp's --cert/--key against Debian's nghttpd -V.
    const nghttp = (extra: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          process.execPath,
          [path.join(repoRoot(), 'bin', 'nghttp'), '-nsy', ...extra, `https://127.0.0.1:${ref.port}/index.html`],
          { timeout: 20000 },
          (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: String(stdout) }),
        ),
      );
    const withCert = await nghttp(['--cert', pki.client.cert, '--key', pki.client.key]);
    t.is(withCert.code, 0);
    t.regex(withCert.out, /200 +6 .*\/index\.html/);
    t.not((await nghttp([])).code, 0);
  } finally {
    await ref.stop();
    await ours.stop();
  }
  // Without -V, no certificate is asked for.
  const plain = await serve('our nghttpd', process.execPath, [OURS, '-d', docroot, 'PORT', key, cert]);
  try {
    t.is(await curl(plain.port, []), '200');
  } finally {
    await plain.stop();
  }
});
