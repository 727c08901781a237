/**
 * `--tls-dyn-rec-warmup-threshold` / `--tls-dyn-rec-idle-timeout` beside Debian's nghttpx: the TLS
 * record sizes a client receives, read from the record headers on the wire through a TCP relay.
 * The reference sends small records (1300 bytes of payload) until the threshold went out, then
 * full-size ones; threshold 0: full size from the first byte, which is all ours can do (Node's
 * setMaxSendFragment cannot raise the record size again once lowered).
 */
import test from 'ava';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as tls from 'tls';
import { hasOpenssl, scratchPki } from '../../helpers/pki';
import { parseArgs } from '../../../lib/apps/nghttpx/options';
import { freePort, listenHttp, Nghttpx, spawnNghttpx, stopProcess } from './helpers';

const HAVE = hasOpenssl() && fs.existsSync('/usr/sbin/nghttpx');
const t_ = HAVE ? test.serial : test.serial.skip;

const scratch = scratchPki('dynrec-');

/** A record of at most this length carries a small (1300-byte) payload: 1300 + TLS 1.3 type and tag, or TLS 1.2 nonce and tag. */
const SMALL = 1400;
/** Shorter records are partial writes, which say nothing about the record size in force. */
const PARTIAL = 1200;
const BODY = 2 * 1024 * 1024;

/** A relay in front of `port` noting the length of every application_data record the server sends. */
async function recordRelay(port: number): Promise<{ port: number; lengths: number[]; stop(): Promise<void> }> {
  const lengths: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let buf = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      buf = Buffer.concat([buf, chunk]);
      // TLS record header: type (1), version (2), length (2).
      while (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
        const len = buf.readUInt16BE(3);
        if (buf[0] === 23) lengths.push(len);
        buf = buf.subarray(5 + len);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    lengths,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** An HTTP/1.1 keep-alive client over TLS: get(path) resolves once the whole body arrived. */
function tlsClient(port: number): Promise<{ get(p: string): Promise<number>; close(): void }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      let buf = Buffer.alloc(0);
      let want: { done(n: number): void } | undefined;
      s.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const headEnd = buf.indexOf('\r\n\r\n');
        if (!want || headEnd < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(buf.subarray(0, headEnd).toString('latin1'))?.[1] ?? -1);
        if (len >= 0 && buf.length >= headEnd + 4 + len) {
          buf = buf.subarray(headEnd + 4 + len);
          const w = want;
          want = undefined;
          w.done(len);
        }
      });
      resolve({
        get: (p) =>
          new Promise<number>((done) => {
            want = { done };
            s.write(`GET ${p} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
          }),
        close: () => s.destroy(),
      });
    });
    s.once('error', reject);
  });
}

/** What one proxy sent: per response, the lengths of its records longer than {@link PARTIAL}. */
async function recordsOf(who: Nghttpx, extra: string[], answers = 1): Promise<number[][]> {
  const pki = scratch.pki();
  const backend = await listenHttp((_req, res) => {
    res.setHeader('content-length', BODY);
    res.end(Buffer.alloc(BODY, 120));
  });
  const port = await freePort();
  // An empty configuration: Debian's nghttpx would read /etc/nghttpx/nghttpx.conf.
  const conf = path.join(scratch.dir, 'none.conf');
  fs.writeFileSync(conf, '');
  const proc = await spawnNghttpx(
    who,
    [
      `--conf=${conf}`,
      `-f127.0.0.1,${port}`,
      `-b127.0.0.1,${backend.port}`,
      '--no-ocsp',
      ...extra,
      pki.servers.localhost.key,
      pki.servers.localhost.cert,
    ],
    [port],
  );
  const relay = await recordRelay(port);
  const out: number[][] = [];
  try {
    const c = await tlsClient(relay.port);
    const take = async (p: string) => {
      const from = relay.lengths.length;
      await c.get(p);
      // Records shorter than a small record are partial writes (the response head, session tickets, the body's end).
      out.push(relay.lengths.slice(from).filter((l) => l > PARTIAL));
    };
    for (let i = 0; i < answers; i++) await take(`/${i}`);
    c.close();
  } finally {
    await relay.stop();
    await stopProcess(proc);
    await backend.stop();
  }
  return out;
}

/** The shape of one response's records: how many payload bytes went in small records before the first large one, and whether large ones came. */
function shape(lengths: number[]): { smallFirst: boolean; smallBytes: number; large: boolean } {
  const firstLarge = lengths.findIndex((l) => l > SMALL);
  const small = firstLarge < 0 ? lengths : lengths.slice(0, firstLarge);
  return { smallFirst: lengths[0] <= SMALL, smallBytes: small.reduce((a, b) => a + b, 0), large: firstLarge >= 0 };
}

t_(
  'a warm-up threshold: the reference sends small records first; ours full size from the first byte (setMaxSendFragment cannot raise the size again), and says so',
  async (t) => {
    const args = ['--tls-dyn-rec-warmup-threshold=256K', '--tls-dyn-rec-idle-timeout=2s'];
    const [ref] = await recordsOf('reference', args);
    const a = shape(ref);
    t.true(a.smallFirst && a.large, `reference: small records first, then full size (${a.smallBytes} bytes small)`);
    t.true(a.smallBytes >= 256 * 1024 * 0.95);
    const [ours] = await recordsOf('ours', args);
    t.false(shape(ours).smallFirst, `ours: ${ours.slice(0, 3).join(' ')}`);
    const parsed = parseArgs(['--conf=/dev/null', '-f127.0.0.1,3000;no-tls', ...args]);
    t.true(
      parsed.kind === 'run' && parsed.warnings.some((w) => w.startsWith('tls-dyn-rec-warmup-threshold: accepted but has no effect here')),
    );
  },
);

t_('--tls-dyn-rec-warmup-threshold=0: full-size records from the first byte; as the reference', async (t) => {
  for (const who of ['reference', 'ours'] as Nghttpx[]) {
    const [first] = await recordsOf(who, ['--tls-dyn-rec-warmup-threshold=0']);
    t.true(first.length > 0);
    t.false(shape(first).smallFirst, `${who}: ${first.slice(0, 3).join(' ')}`);
  }
});
