/**
 * --npn-list (the ALPN list, most wanted first), ours beside Debian's nghttpx, seen by
 * `openssl s_client -alpn`: the server's order decides, and a protocol left out is not chosen.
 * One difference Node imposes: with no protocol in common, Node's TLS ends the handshake with
 * the no_application_protocol alert where the reference goes on without ALPN.
 */
import test from 'ava';
import { execFile } from 'child_process';
import * as fs from 'fs';
import { FIXTURE_CERT, FIXTURE_KEY } from '../../helpers/repo';
import { both, HAS_REF } from './oracle-pair';

const t_ = HAS_REF && fs.existsSync('/usr/bin/openssl') ? test.serial : test.serial.skip;

/** The protocol `openssl s_client -alpn <offer>` ends up with ('none', or 'alert' when refused). */
function negotiated(port: number, offer: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(
      '/usr/bin/openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-alpn', offer],
      { timeout: 20000 },
      (_err, stdout, stderr) => {
        const text = `${stdout}${stderr}`;
        const m = /ALPN protocol: (\S+)/.exec(text);
        resolve(m ? m[1] : /no application protocol/.test(text) ? 'alert' : 'none');
      },
    );
    child.stdin?.end();
  });
}

t_('--npn-list: the server order decides the ALPN protocol, as the reference', async (t) => {
  const seen: Record<string, Record<string, string>> = {};
  for (const list of ['http/1.1,h2', 'h2']) {
    const p = await both(['-b127.0.0.1,9', '--no-ocsp', `--npn-list=${list}`, FIXTURE_KEY, FIXTURE_CERT], undefined, ['']);
    try {
      for (const x of p.proxies)
        for (const offer of ['h2,http/1.1', 'http/1.1']) (seen[`${x.name} ${list}`] ??= {})[offer] = await negotiated(x.port, offer);
    } finally {
      await p.stop();
    }
  }
  t.deepEqual(seen['ours http/1.1,h2'], seen['reference http/1.1,h2']);
  t.deepEqual(seen['ours http/1.1,h2'], { 'h2,http/1.1': 'http/1.1', 'http/1.1': 'http/1.1' });
  t.is(seen['ours h2']['h2,http/1.1'], 'h2');
  t.is(seen['reference h2']['h2,http/1.1'], 'h2');
  // Deliberate difference (Node): nothing in common is refused here, answered without ALPN there.
  t.is(seen['reference h2']['http/1.1'], 'none');
  t.is(seen['ours h2']['http/1.1'], 'alert');
});
