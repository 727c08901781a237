/**
 * `proxyproto` frontends over TLS: the PROXY header (v1 and v2) arrives in the same TCP segment
 * as the ClientHello, and every byte after the header reaches TLS (it used to be lost: the
 * handshake never finished). The backend sees the header's source in X-Forwarded-For over
 * HTTP/1.1 and HTTP/2 (ALPN), as with Debian's nghttpx.
 */
import test from 'ava';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as tls from 'tls';
import { parseArgs } from '../../../lib/apps/nghttpx/options';
import { startNghttpx } from '../../../lib/apps/nghttpx/proxy';
import { FIXTURES, freePort, getOverTls, listenHttp, spawnServer, stopProcess } from './helpers';

const KEY = path.join(FIXTURES, 'server.key');
const CERT = path.join(FIXTURES, 'server.crt');
const HAS_REF = fs.existsSync('/usr/sbin/nghttpx');

/** A backend answering each request with the X-Forwarded-For it got. */
async function xffBackend(): Promise<{ port: number; stop(): Promise<void> }> {
  return listenHttp((req, res) => {
    req.resume();
    res.end(`xff=${req.headers['x-forwarded-for']}`);
  });
}

/** A PROXY v1 header for a TCP4 client `src`:`srcPort`. */
function proxyV1(src: string, srcPort: number, dstPort: number): Buffer {
  return Buffer.from(`PROXY TCP4 ${src} 127.0.0.1 ${srcPort} ${dstPort}\r\n`);
}

/** A PROXY v2 PROXY/TCP4 header for `src`:`srcPort`. */
function proxyV2(src: string, srcPort: number, dstPort: number): Buffer {
  const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  const body = Buffer.alloc(12);
  Buffer.from(src.split('.').map(Number)).copy(body, 0);
  Buffer.from([127, 0, 0, 1]).copy(body, 4);
  body.writeUInt16BE(srcPort, 8);
  body.writeUInt16BE(dstPort, 10);
  return Buffer.concat([signature, Buffer.from([0x21, 0x11, 0x00, 12]), body]);
}

/**
 * A TLS connection whose first TCP segment carries `header` and the ClientHello together (the
 * raw socket is corked until TLS has written its hello).
 */
function tlsAfterHeader(port: number, header: Buffer, alpn: string): tls.TLSSocket {
  const raw = net.connect(port, '127.0.0.1');
  raw.cork();
  raw.write(header);
  const s = tls.connect({ socket: raw, rejectUnauthorized: false, ALPNProtocols: [alpn], servername: 'localhost' });
  raw.once('connect', () => setImmediate(() => raw.uncork()));
  return s;
}

/** GET over HTTP/1.1 or HTTP/2 (by ALPN) after `header`: the status and body, or what went wrong. */
function get(port: number, header: Buffer, p: string, alpn: 'h2' | 'http/1.1'): Promise<string> {
  return getOverTls(() => tlsAfterHeader(port, header, alpn), alpn, p, 'localhost');
}

/** The answers one proxy gives: v1 and v2 headers, HTTP/1.1 and HTTP/2, several connections each. */
async function answers(port: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 1; i <= 3; i++) {
    out.push(await get(port, proxyV1(`192.0.2.${i}`, 40000 + i, port), `/v1-h1-${i}`, 'http/1.1'));
    out.push(await get(port, proxyV2(`198.51.100.${i}`, 41000 + i, port), `/v2-h1-${i}`, 'http/1.1'));
    out.push(await get(port, proxyV1(`203.0.113.${i}`, 42000 + i, port), `/v1-h2-${i}`, 'h2'));
    out.push(await get(port, proxyV2(`192.0.2.${100 + i}`, 43000 + i, port), `/v2-h2-${i}`, 'h2'));
  }
  return out;
}

const EXPECTED = [1, 2, 3].flatMap((i) => [
  `200 xff=192.0.2.${i}`,
  `200 xff=198.51.100.${i}`,
  `200 xff=203.0.113.${i}`,
  `200 xff=192.0.2.${100 + i}`,
]);

test('a TLS proxyproto frontend keeps the bytes after the PROXY header (v1, v2; HTTP/1.1 and h2) and reports the header source', async (t) => {
  const be = await xffBackend();
  const p = parseArgs(['--conf=/dev/null', '-f127.0.0.1,0;proxyproto', `-b127.0.0.1,${be.port}`, '--add-x-forwarded-for', KEY, CERT]);
  if (p.kind !== 'run') throw new Error('bad args');
  const px = await startNghttpx(p.options, { errorLog: () => undefined });
  try {
    t.deepEqual(await answers(px.ports[0]), EXPECTED);
  } finally {
    await px.shutdown(1000);
    await be.stop();
  }
});

(HAS_REF ? test : test.skip)('Debian nghttpx gives the same answers on a TLS proxyproto frontend', async (t) => {
  const be = await xffBackend();
  t.teardown(() => be.stop());
  const port = await freePort();
  const ref = await spawnServer(
    'Debian nghttpx',
    '/usr/sbin/nghttpx',
    [
      '--conf=/dev/null',
      `-f127.0.0.1,${port};proxyproto`,
      `-b127.0.0.1,${be.port}`,
      '--add-x-forwarded-for',
      '--errorlog-file=/dev/null',
      KEY,
      CERT,
    ],
    [port],
  );
  try {
    t.deepEqual(await answers(port), EXPECTED);
  } finally {
    await stopProcess(ref);
  }
});
