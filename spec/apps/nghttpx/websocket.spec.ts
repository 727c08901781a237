/**
 * WebSockets through nghttpx: the `ws` library's client over HTTP/1.1 Upgrade to an HTTP/1.1
 * `ws` backend (text, binary, 1 MiB messages, close handshake); an HTTP/2 extended CONNECT
 * (RFC 8441) from our client with a raw WebSocket framer, turned into an HTTP/1.1 Upgrade; an
 * HTTP/1.1 WebSocket client to an h2 backend that offers extended CONNECT; plain CONNECT; idle
 * tunnels closed by --backend-read-timeout; the same ws client through Debian's nghttpx.
 */
import test from 'ava';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import WebSocket, { WebSocketServer } from 'ws';
import { startNghttpx, NghttpxProxy } from '../../../lib/apps/nghttpx/proxy';
import { parseArgs } from '../../../lib/apps/nghttpx/options';
import { HTTP2Client } from '../../../lib/client';
import { BaseRequestHandler, HTTP2Server } from '../../../lib/server';
import type { TunnelDuplex } from '../../../lib/transport/tunnel';
import { waitFor } from '../../helpers/wait';
import { freePort, listenTcp, spawnServer, stopProcess } from './helpers';

/** A `ws` echo backend over Node's http; `upgrades` records the requests it saw. */
async function wsBackend(): Promise<{ port: number; upgrades: http.IncomingMessage[]; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.end('plain\n'));
  const wss = new WebSocketServer({ server });
  const upgrades: http.IncomingMessage[] = [];
  wss.on('connection', (ws, req) => {
    upgrades.push(req);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    upgrades,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function ourProxy(args: string[]): Promise<{ proxy: NghttpxProxy; port: number }> {
  const parsed = parseArgs(['--conf=/dev/null', '-f127.0.0.1,0;no-tls', ...args]);
  if (parsed.kind !== 'run') throw new Error('bad args');
  const proxy = await startNghttpx(parsed.options, { errorLog: () => undefined });
  return { proxy, port: proxy.ports[0] };
}

/** Text, binary and a 1 MiB message echoed, then a close handshake with code and reason. */
async function exercise(url: string): Promise<{ texts: string[]; binaryOk: boolean; bigOk: boolean; close: [number, string] }> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const queue: { data: Buffer; binary: boolean }[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data, binary) => {
    queue.push({ data: data as Buffer, binary });
    wake?.();
  });
  const next = async () => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    return queue.shift()!;
  };
  ws.send('hello');
  ws.send('world');
  const texts = [(await next()).data.toString(), (await next()).data.toString()];
  const bin = crypto.randomBytes(300);
  ws.send(bin);
  const b = await next();
  const big = crypto.randomBytes(1024 * 1024);
  ws.send(big);
  const g = await next();
  const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
  ws.close(4000, 'bye');
  return { texts, binaryOk: b.binary && b.data.equals(bin), bigOk: g.binary && g.data.equals(big), close: await closed };
}

test('HTTP/1.1 Upgrade: websocket through our nghttpx to an HTTP/1.1 backend: text, binary, 1 MiB, close', async (t) => {
  const be = await wsBackend();
  const { proxy, port } = await ourProxy([`-b127.0.0.1,${be.port}`]);
  try {
    const r = await exercise(`ws://127.0.0.1:${port}/chat`);
    t.deepEqual(r, { texts: ['hello', 'world'], binaryOk: true, bigOk: true, close: [4000, 'bye'] });
    const h = be.upgrades[0].headers;
    t.is(h.upgrade, 'websocket');
    t.is(h.via, '1.1 nghttpx');
  } finally {
    await proxy.shutdown(1000);
    await be.close();
  }
});

// ---- a raw RFC 6455 framer for the HTTP/2 side (clients mask, servers do not) ----

function frame(opcode: number, payload: Buffer, mask: boolean): Buffer {
  const len = payload.length;
  const ext =
    len < 126
      ? Buffer.alloc(0)
      : len < 65536
        ? Buffer.from([len >> 8, len & 255])
        : (() => {
            const b = Buffer.alloc(8);
            b.writeBigUInt64BE(BigInt(len));
            return b;
          })();
  const h = Buffer.from([0x80 | opcode, (mask ? 0x80 : 0) | (len < 126 ? len : len < 65536 ? 126 : 127)]);
  if (!mask) return Buffer.concat([h, ext, payload]);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([h, ext, key, body]);
}

/** Read whole frames from a byte stream. */
function frameReader(src: NodeJS.ReadableStream): () => Promise<{ opcode: number; payload: Buffer }> {
  let buf = Buffer.alloc(0);
  const waiting: (() => void)[] = [];
  src.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    waiting.splice(0).forEach((w) => w());
  });
  return async () => {
    for (;;) {
      if (buf.length >= 2) {
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          len = buf.length >= 4 ? buf.readUInt16BE(2) : -1;
          off = 4;
        } else if (len === 127) {
          len = buf.length >= 10 ? Number(buf.readBigUInt64BE(2)) : -1;
          off = 10;
        }
        const masked = (buf[1] & 0x80) !== 0;
        const total = off + (masked ? 4 : 0) + len;
        if (len >= 0 && buf.length >= total) {
          const payload = Buffer.from(buf.subarray(off + (masked ? 4 : 0), total));
          if (masked) {
            const key = buf.subarray(off, off + 4);
            for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
          }
          const opcode = buf[0] & 0x0f;
          buf = buf.subarray(total);
          return { opcode, payload };
        }
      }
      await new Promise<void>((r) => waiting.push(r));
    }
  };
}

test('HTTP/2 extended CONNECT through our nghttpx becomes an HTTP/1.1 Upgrade (raw framing: text, 1 MiB binary, close)', async (t) => {
  const be = await wsBackend();
  const { proxy, port } = await ourProxy([`-b127.0.0.1,${be.port}`]);
  const client = await HTTP2Client.connect(`http://127.0.0.1:${port}/chat`);
  try {
    await client.connection.whenRemoteSettings();
    t.true(client.connection.session.remoteSettings.enableConnectProtocol);
    const tun = await client.openTunnel({ protocol: 'websocket', headers: { 'sec-websocket-version': '13' } });
    t.is(tun.status, 200);
    t.false(tun.headers.some(([n]) => n === 'sec-websocket-accept' || n === 'upgrade' || n === 'connection'));
    const read = frameReader(tun.duplex);
    tun.duplex.write(frame(1, Buffer.from('over h2'), true));
    t.deepEqual(await read(), { opcode: 1, payload: Buffer.from('over h2') });
    const big = crypto.randomBytes(1024 * 1024);
    tun.duplex.write(frame(2, big, true));
    const got = await read();
    t.is(got.opcode, 2);
    t.true(got.payload.equals(big));
    const code = Buffer.from([0x03, 0xe8]);
    tun.duplex.write(frame(8, code, true));
    const c = await read();
    t.is(c.opcode, 8);
    t.is(c.payload.readUInt16BE(0), 1000);
    // The backend closes after the close handshake: the stream ends cleanly.
    await new Promise((r) => tun.stream.once('close', r));
    t.is(tun.stream.errorCode, 0);
    const h = be.upgrades[0].headers;
    t.is(h.upgrade, 'websocket');
    t.is(h.via, '2 nghttpx');
    t.truthy(h['sec-websocket-key']);
  } finally {
    await client.close();
    await proxy.shutdown(1000);
    await be.close();
  }
});

test('an HTTP/1.1 WebSocket client to an h2 backend that offers extended CONNECT', async (t) => {
  let protocolSeen: string | undefined;
  class EchoFrames extends BaseRequestHandler {
    override onHeaders(): void {
      protocolSeen = this.protocol;
      const d: TunnelDuplex = this.acceptTunnel();
      d.on('error', () => undefined);
      const read = frameReader(d);
      void (async () => {
        for (;;) {
          const f = await read();
          d.write(frame(f.opcode, f.payload, false));
          if (f.opcode === 8) return d.end();
        }
      })();
    }
  }
  const backend = new HTTP2Server({ host: '127.0.0.1', port: 0 }, EchoFrames, { enableConnectProtocol: true });
  const bport = await backend.listen();
  const { proxy, port } = await ourProxy([`-b127.0.0.1,${bport};;proto=h2`]);
  try {
    const r = await exercise(`ws://127.0.0.1:${port}/chat`);
    t.deepEqual(r, { texts: ['hello', 'world'], binaryOk: true, bigOk: true, close: [4000, 'bye'] });
    t.is(protocolSeen, 'websocket');
  } finally {
    await proxy.shutdown(1000);
    await backend.close();
  }
});

/** A plain CONNECT over HTTP/1.1 on a raw socket: 'ping' through the tunnel, resolves with what came back after the head. */
function h1Connect(port: number, authority: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('error', reject);
    s.on('data', (d) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      if (end >= 0 && got.length >= end + 8) {
        s.destroy();
        resolve(got);
      }
    });
    s.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
    s.write('ping');
  });
}

test('plain CONNECT goes to an HTTP/1.1 backend with the fields the reference sends (no Connection, no X-Forwarded-Proto)', async (t) => {
  // A raw backend: each CONNECT head as it came on the wire, then 200 and an echo.
  const heads: string[] = [];
  const be = await listenTcp((s) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.off('data', onData);
      heads.push(buf.slice(0, end));
      s.write('HTTP/1.1 200 OK\r\n\r\n');
      if (buf.length > end + 4) s.write(buf.slice(end + 4), 'latin1');
      s.on('data', (x) => s.write(x));
      s.on('end', () => s.end());
    };
    s.on('data', onData);
  });
  const seen: Record<string, string[]> = {};
  try {
    for (const who of sides) {
      const p = await eitherProxy(who, [`-b127.0.0.1,${be.port}`]);
      heads.length = 0;
      try {
        const client = await HTTP2Client.connect(`http://127.0.0.1:${p.port}/`);
        try {
          const tun = await client.openTunnel({ authority: 'example.org:443' });
          t.is(tun.status, 200, `${who}: h2 CONNECT`);
          tun.duplex.write('ping');
          const first = await new Promise<Buffer>((r) => tun.duplex.once('data', r));
          t.is(first.toString(), 'ping', `${who}: h2 tunnel bytes`);
          tun.duplex.end();
        } finally {
          await client.close();
        }
        const h1 = await h1Connect(p.port, 'example.org:443');
        t.regex(h1, /^HTTP\/1\.1 200 [^]*\r\n\r\nping$/, `${who}: HTTP/1.1 CONNECT`);
      } finally {
        await p.stop();
      }
      seen[who] = [...heads];
    }
  } finally {
    await be.stop();
  }
  for (const head of seen.ours) {
    t.regex(head, /^CONNECT example\.org:443 HTTP\/1\.1\r\nHost: example\.org:443\r\n/, head);
    // As Debian's nghttpx: no X-Forwarded-Proto (a plain CONNECT has no scheme) and no Connection field.
    t.notRegex(head, /^(x-forwarded-proto|connection):/im, head);
    t.regex(head, /^via: (2|1\.1) nghttpx$/im, head);
  }
  t.is(seen.ours.length, 2);
  if (seen.reference) t.deepEqual(seen.ours, seen.reference, 'the backend sees the same CONNECT heads from both proxies');
});

/** An h2 backend (our HTTP2Server) echoing tunnel bytes; `protocols` records each tunnel's :protocol. */
async function h2TunnelBackend(
  enableConnectProtocol: boolean,
): Promise<{ port: number; protocols: (string | undefined)[]; close(): Promise<void> }> {
  const protocols: (string | undefined)[] = [];
  class Echo extends BaseRequestHandler {
    override onHeaders(): void {
      if (!this.isConnect) return void this.sendResponse({ status: 200, body: 'plain\n' });
      protocols.push(this.protocol);
      const d = this.acceptTunnel();
      d.on('error', () => undefined);
      d.pipe(d);
    }
  }
  const server = new HTTP2Server({ host: '127.0.0.1', port: 0 }, Echo, { enableConnectProtocol });
  const port = await server.listen();
  return { port, protocols, close: () => server.close() };
}

/** Our nghttpx in-process, or Debian's spawned: the frontend port and a stop function. */
async function eitherProxy(who: 'ours' | 'reference', args: string[]): Promise<{ port: number; stop(): Promise<void> }> {
  if (who === 'ours') {
    const { proxy, port } = await ourProxy(args);
    return { port, stop: () => proxy.shutdown(1000) };
  }
  const port = await freePort();
  const proc = await spawnServer(
    'Debian nghttpx',
    DEBIAN,
    ['--conf=/dev/null', `-f127.0.0.1,${port};no-tls`, '--errorlog-file=/dev/null', ...args],
    [port],
  );
  return { port, stop: () => stopProcess(proc) };
}

const DEBIAN = '/usr/sbin/nghttpx';
const sides = (fs.existsSync(DEBIAN) ? ['ours', 'reference'] : ['ours']) as ('ours' | 'reference')[];

/** Run `body` through our nghttpx and then Debian's (when installed), each in front of the h2 backend on `backendPort`. */
async function throughEach(backendPort: number, body: (who: string, client: HTTP2Client, port: number) => Promise<void>): Promise<void> {
  for (const who of sides) {
    const p = await eitherProxy(who, [`-b127.0.0.1,${backendPort};;proto=h2`]);
    const client = await HTTP2Client.connect(`http://127.0.0.1:${p.port}/chat`);
    try {
      await body(who, client, p.port);
    } finally {
      await client.close();
      await p.stop();
    }
  }
}

test('an HTTP/2 extended CONNECT stays an extended CONNECT to an h2 backend that offers it (ours and Debian nghttpx)', async (t) => {
  const be = await h2TunnelBackend(true);
  try {
    await throughEach(be.port, async (who, client) => {
      const tun = await client.openTunnel({ protocol: 'websocket', headers: { 'sec-websocket-version': '13' } });
      t.is(tun.status, 200, who);
      tun.duplex.on('error', () => undefined);
      const payload = crypto.randomBytes(256 * 1024);
      const back: Buffer[] = [];
      let got = 0;
      await new Promise<void>((resolve) => {
        tun.duplex.on('data', (c: Buffer) => {
          back.push(c);
          got += c.length;
          if (got >= payload.length) resolve();
        });
        tun.duplex.write(payload);
      });
      t.true(Buffer.concat(back).equals(payload), who);
      tun.duplex.end();
    });
    t.deepEqual(
      be.protocols,
      sides.map(() => 'websocket'),
    );
  } finally {
    await be.close();
  }
});

test('an h2 backend without SETTINGS_ENABLE_CONNECT_PROTOCOL: extended CONNECT and HTTP/1.1 Upgrade get 400, as from Debian nghttpx', async (t) => {
  const be = await h2TunnelBackend(false);
  try {
    await throughEach(be.port, async (who, client, port) => {
      const refused = await t.throwsAsync(client.openTunnel({ protocol: 'websocket', headers: { 'sec-websocket-version': '13' } }));
      t.regex(String(refused?.message), /status 400/, who);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`);
      const status = await new Promise<number>((resolve, reject) => {
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => resolve(101));
        ws.once('error', reject);
      });
      ws.terminate();
      t.is(status, 400, `${who}: HTTP/1.1 Upgrade`);
    });
    t.deepEqual(be.protocols, []);
  } finally {
    await be.close();
  }
});

/** A backend that accepts a WebSocket Upgrade (101) and then never reads. */
function stalledWsBackend(): Promise<{ port: number; stop(): Promise<void> }> {
  return listenTcp((sock) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      sock.off('data', onData);
      sock.pause();
      const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? '';
      const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      sock.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
    };
    sock.on('data', onData);
  });
}

/** Poll `left()` (bytes that left the client) until it has not moved for 1 s; resolve with it. */
async function stallPoint(left: () => number): Promise<number> {
  let last = -1;
  let since = Date.now();
  await waitFor('the tunnel to stop taking bytes', () => {
    const now = left();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
    return Date.now() - since >= 1000;
  });
  return last;
}

const STALL_TOTAL = 64 * 1024 * 1024;

test('a backend that stops reading stops the client (backpressure): ws over HTTP/1.1 and an HTTP/2 extended CONNECT', async (t) => {
  const be = await stalledWsBackend();
  const { proxy, port } = await ourProxy([`-b127.0.0.1,${be.port}`]);
  const chunk = crypto.randomBytes(1024 * 1024);
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/stall`);
    ws.on('error', () => undefined);
    await new Promise((resolve) => ws.once('open', resolve));
    for (let i = 0; i < STALL_TOTAL / chunk.length; i++) ws.send(chunk);
    const queued = ws.bufferedAmount;
    const viaH1 = await stallPoint(() => queued - ws.bufferedAmount);
    ws.terminate();
    const client = await HTTP2Client.connect(`http://127.0.0.1:${port}/stall`);
    try {
      const tun = await client.openTunnel({ protocol: 'websocket', headers: { 'sec-websocket-version': '13' } });
      tun.duplex.on('error', () => undefined);
      let written = 0;
      for (let i = 0; i < STALL_TOTAL / chunk.length; i++) tun.duplex.write(chunk, () => (written += chunk.length));
      const viaH2 = await stallPoint(() => written);
      t.log(
        `left the client before it stalled: HTTP/1.1 ${(viaH1 / 1048576).toFixed(1)} MiB, h2 ${(viaH2 / 1048576).toFixed(1)} MiB of 64`,
      );
      // What the kernel's socket buffers take (a few MiB on loopback) and a window, not the 64 MiB.
      t.true(viaH1 < STALL_TOTAL / 2, `HTTP/1.1: ${viaH1}`);
      t.true(viaH2 < STALL_TOTAL / 2, `h2: ${viaH2}`);
      tun.duplex.destroy();
    } finally {
      await client.close();
    }
  } finally {
    await proxy.shutdown(1000);
    await be.stop();
  }
});

test('an idle WebSocket tunnel is closed after --backend-read-timeout', async (t) => {
  const be = await wsBackend();
  const { proxy, port } = await ourProxy([`-b127.0.0.1,${be.port}`, '--backend-read-timeout=1s']);
  try {
    // The clock starts before the request leaves: the proxy's timer starts later than that (at
    // its backend connect), so a close is never earlier than 1 s after t0. Taken at the client's
    // 'open' instead, a loaded machine's delay in delivering the 101 counted against the bound.
    const t0 = Date.now();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/idle`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const code = await new Promise<number>((resolve) => ws.once('close', resolve));
    t.true(Date.now() - t0 >= 950, `closed ${Date.now() - t0} ms after the request`);
    t.is(code, 1006);
  } finally {
    await proxy.shutdown(1000);
    await be.close();
  }
});

(fs.existsSync(DEBIAN) ? test : test.skip)("the same ws client through Debian's nghttpx behaves the same", async (t) => {
  const be = await wsBackend();
  const port = await freePort();
  const conf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-ws-')), 'empty.conf');
  fs.writeFileSync(conf, '');
  const proc = await spawnServer(
    'Debian nghttpx',
    DEBIAN,
    [`--conf=${conf}`, `-f127.0.0.1,${port};no-tls`, `-b127.0.0.1,${be.port}`, '--errorlog-file=/dev/null'],
    [port],
  );
  try {
    const r = await exercise(`ws://127.0.0.1:${port}/chat`);
    t.deepEqual(r, { texts: ['hello', 'world'], binaryOk: true, bigOk: true, close: [4000, 'bye'] });
  } finally {
    await stopProcess(proc);
    await be.close();
    fs.rmSync(path.dirname(conf), { recursive: true, force: true });
  }
});
