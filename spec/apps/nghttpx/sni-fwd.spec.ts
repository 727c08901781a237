/**
 * The `sni-fwd` frontend parameter: on a TLS frontend, the backend is chosen by the TLS SNI host
 * name instead of the request's host (`:authority` / Host). Two backends routed by host pattern
 * plus a catch-all; requests whose SNI and Host disagree go where the SNI says with `sni-fwd`,
 * where the Host says without it. As Debian's nghttpx, an SNI name that no frontend certificate
 * serves is not kept: such requests take the catch-all route. Ours and the reference, over
 * HTTP/1.1 and HTTP/2.
 */
import test, { ExecutionContext } from 'ava';
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tls from 'tls';
import { FIXTURES, freePort, getOverTls, listenHttp, OUR_NGHTTPX, spawnServer, stopProcess } from './helpers';
import { hasOpenssl, makePki } from '../../helpers/pki';

const KEY = path.join(FIXTURES, 'server.key');
const CERT = path.join(FIXTURES, 'server.crt');
const HAS_REF = fs.existsSync('/usr/sbin/nghttpx');

/** A backend answering `<tag> <host> <path>`. */
async function taggedBackend(tag: string): Promise<{ port: number; stop(): Promise<void> }> {
  return listenHttp((req, res) => {
    req.resume();
    res.end(`${tag} ${req.headers.host} ${req.url}`);
  });
}

/** GET over TLS with SNI `sni` and Host `host`, HTTP/1.1 or h2 by ALPN: the body, or what failed. */
function get(port: number, sni: string, host: string, p: string, alpn: 'h2' | 'http/1.1'): Promise<string> {
  const connect = () => tls.connect({ port, host: '127.0.0.1', servername: sni, ALPNProtocols: [alpn], rejectUnauthorized: false });
  return getOverTls(connect, alpn, p, host);
}

/** Start a proxy (ours or the reference) with two TLS frontends, one with sni-fwd, the other without. */
async function startProxy(
  ref: boolean,
  a: number,
  b: number,
  certs: string[],
): Promise<{ proc: ChildProcess; sniFwd: number; plain: number }> {
  const [sniFwd, plain] = [await freePort(), await freePort()];
  const args = [
    '--conf=/dev/null',
    `-f127.0.0.1,${sniFwd};sni-fwd`,
    `-f127.0.0.1,${plain}`,
    `-b127.0.0.1,${a};a.example/`,
    `-b127.0.0.1,${b};b.example/`,
    `-b127.0.0.1,${a};/`,
    '--errorlog-file=/dev/null',
    ...certs,
  ];
  const proc = await (ref
    ? spawnServer('Debian nghttpx', '/usr/sbin/nghttpx', args, [sniFwd, plain])
    : spawnServer('our nghttpx', process.execPath, [OUR_NGHTTPX, ...args], [sniFwd, plain]));
  return { proc, sniFwd, plain };
}

/** The answers of one proxy: SNI and Host disagreeing, both ways, h1 and h2, each frontend. */
async function answers(px: { sniFwd: number; plain: number }): Promise<string[]> {
  const out: string[] = [];
  for (const alpn of ['http/1.1', 'h2'] as const) {
    out.push(await get(px.sniFwd, 'b.example', 'a.example', `/fwd-${alpn}`, alpn));
    out.push(await get(px.sniFwd, 'a.example', 'b.example', `/fwd-${alpn}`, alpn));
    out.push(await get(px.plain, 'b.example', 'a.example', `/plain-${alpn}`, alpn));
    out.push(await get(px.plain, 'a.example', 'b.example', `/plain-${alpn}`, alpn));
  }
  return out;
}

/** With certificates for a.example and b.example: the SNI decides on the sni-fwd frontend. */
const BY_SNI = ['http/1.1', 'h2'].flatMap((alpn) => [
  `200 B a.example /fwd-${alpn}`,
  `200 A b.example /fwd-${alpn}`,
  `200 A a.example /plain-${alpn}`,
  `200 B b.example /plain-${alpn}`,
]);

/** With a certificate serving neither name: the sni-fwd frontend routes every request to the catch-all (A). */
const UNSERVED_SNI = ['http/1.1', 'h2'].flatMap((alpn) => [
  `200 A a.example /fwd-${alpn}`,
  `200 A b.example /fwd-${alpn}`,
  `200 A a.example /plain-${alpn}`,
  `200 B b.example /plain-${alpn}`,
]);

async function compare(t: ExecutionContext, certs: string[], expected: string[]): Promise<void> {
  const a = await taggedBackend('A');
  const b = await taggedBackend('B');
  try {
    for (const ref of HAS_REF ? [false, true] : [false]) {
      const px = await startProxy(ref, a.port, b.port, certs);
      try {
        t.deepEqual(await answers(px), expected, ref ? 'reference' : 'ours');
      } finally {
        await stopProcess(px.proc);
      }
    }
  } finally {
    await a.stop();
    await b.stop();
  }
}

(hasOpenssl() ? test : test.skip)(
  'sni-fwd: with certificates serving a.example and b.example, a TLS frontend routes by the SNI name instead of the request host (without sni-fwd, by the host), as Debian nghttpx',
  async (t) => {
    const pki = makePki(['a.example', 'b.example']);
    try {
      const [sa, sb] = [pki.servers['a.example'], pki.servers['b.example']];
      await compare(t, [`--subcert=${sb.key}:${sb.cert}`, sa.key, sa.cert], BY_SNI);
    } finally {
      pki.remove();
    }
  },
);

test('sni-fwd: an SNI name no frontend certificate serves is not kept; the request takes the catch-all route, as Debian nghttpx', async (t) => {
  await compare(t, [KEY, CERT], UNSERVED_SNI);
});
