/**
 * h2load's --ciphers, --tls13-ciphers and --groups against a real TLS peer (`openssl s_server`),
 * side by side with Debian's h2load: the negotiated protocol, cipher and key exchange group that
 * each prints ("TLS Protocol", "Cipher", "Server Temp Key") must be the same.
 */
import test from 'ava';
import * as fs from 'fs';
import { hasOpenssl, OPENSSL, scratchPki } from '../../helpers/pki';
import { h2load, run, startServer, Server } from './helpers';

const HAVE = hasOpenssl() && fs.existsSync('/usr/bin/h2load');
const t_ = HAVE ? test.serial : test.serial.skip;

const scratch = scratchPki('h2load-tls-');
const servers: Server[] = [];
test.after.always(async () => {
  for (const s of servers) await s.stop();
});

/** `openssl s_server -www` on a free port, with `extra` arguments (e.g. -tls1_2). */
async function sServer(extra: string[]): Promise<Server> {
  const { key, cert } = scratch.pki().servers.localhost;
  const s = await startServer(OPENSSL, ['s_server', '-accept', '{port}', '-cert', cert, '-key', key, '-www', '-quiet', ...extra]);
  servers.push(s);
  return s;
}

/** The TLS lines h2load prints for its first connection. */
function tlsLines(out: string): string[] {
  return out.split('\n').filter((l) => /^(TLS Protocol|Cipher|Server Temp Key):/.test(l));
}

async function both(port: number, args: string[]): Promise<{ ours: string[]; ref: string[] }> {
  const uri = `https://127.0.0.1:${port}/`;
  const [o, r] = await Promise.all([h2load(['-n1', ...args, uri]), run('/usr/bin/h2load', ['-n1', ...args, uri])]);
  return { ours: tlsLines(o.stdout), ref: tlsLines(r.stdout) };
}

t_('TLSv1.3: --tls13-ciphers and --groups pick what the C h2load picks (and the defaults match)', async (t) => {
  const s = await sServer([]);
  const cases: [string[], string, string][] = [
    [[], 'TLS_AES_128_GCM_SHA256', 'X25519'],
    [['--tls13-ciphers=TLS_CHACHA20_POLY1305_SHA256', '--groups=P-384'], 'TLS_CHACHA20_POLY1305_SHA256', 'secp384r1'],
    [['--tls13-ciphers=TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256', '--groups=P-521:X25519'], 'TLS_AES_256_GCM_SHA384', 'secp521r1'],
    // --ciphers alone leaves TLSv1.3 on, with h2load's default suites.
    [['--ciphers=ECDHE-ECDSA-AES256-GCM-SHA384'], 'TLS_AES_128_GCM_SHA256', 'X25519'],
  ];
  for (const [args, cipher, group] of cases) {
    const { ours, ref } = await both(s.port, args);
    t.is(ref[0], 'TLS Protocol: TLSv1.3', args.join(' '));
    t.is(ref[1], `Cipher: ${cipher}`, args.join(' '));
    t.true(ref[2]?.includes(group), `${args.join(' ')}: ${ref[2]}`);
    t.deepEqual(ours, ref, args.join(' '));
  }
});

t_('TLSv1.2 server: --ciphers picks the suite, --groups the curve, as the C h2load', async (t) => {
  const s = await sServer(['-tls1_2']);
  const cases: [string[], string][] = [
    [['--ciphers=ECDHE-ECDSA-CHACHA20-POLY1305', '--groups=P-256'], 'ECDHE-ECDSA-CHACHA20-POLY1305'],
    [['--ciphers=ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256'], 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  ];
  for (const [args, cipher] of cases) {
    const { ours, ref } = await both(s.port, args);
    t.is(ref[0], 'TLS Protocol: TLSv1.2', args.join(' '));
    t.is(ref[1], `Cipher: ${cipher}`, args.join(' '));
    t.deepEqual(ours, ref, args.join(' '));
  }
  // No suite in common: both fail the handshake, and say so without TLS lines.
  const none = await both(s.port, ['--ciphers=AES128-SHA']);
  t.deepEqual(none.ref, []);
  t.deepEqual(none.ours, []);
});
