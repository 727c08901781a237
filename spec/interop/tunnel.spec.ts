/**
 * RFC 8441 extended CONNECT and plain CONNECT tunnels through the public API: HTTP2Server's
 * `acceptTunnel()` and HTTP2Client's `openTunnel()`, against each other, against Node's http2
 * (server and client, `enableConnectProtocol`) and against python-hyper's h2 (Debian's python3-h2).
 */
import test from 'ava';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http2 from 'http2';
import type { AddressInfo } from 'net';
import { execFileSync, spawn } from 'child_process';
import { HTTP2Client, TunnelRefusedError } from '../../lib/client';
import { BaseRequestHandler, HTTP2Server } from '../../lib/server';
import type { TunnelDuplex } from '../../lib/transport/tunnel';

const PY = '/usr/bin/python3';
const hasPyH2 =
  fs.existsSync(PY) &&
  (() => {
    try {
      execFileSync(PY, ['-c', 'import h2'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

/** Echo every tunnel byte back; end when the client ends. Plain CONNECT to `refuse:1` gets 403. */
class EchoTunnel extends BaseRequestHandler {
  override onHeaders(): void {
    if (!this.isConnect) {
      void this.sendResponse({ status: 200, body: 'not a tunnel\n' });
      return;
    }
    if (this.host === 'refuse:1') {
      void this.sendResponse({ status: 403, body: 'no\n' });
      return;
    }
    const d = this.acceptTunnel({ headers: { 'x-protocol': this.protocol ?? 'none', 'x-path': this.path ?? 'none' } });
    d.on('error', () => undefined);
    d.pipe(d);
  }
}

async function echoServer(enable = true): Promise<HTTP2Server> {
  const server = new HTTP2Server({ host: '127.0.0.1', port: 0 }, EchoTunnel, { enableConnectProtocol: enable });
  await server.listen();
  return server;
}

function collect(d: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    d.on('data', (c: Buffer) => chunks.push(c));
    d.on('end', () => resolve(Buffer.concat(chunks)));
    d.on('error', reject);
  });
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

async function roundTrip(d: TunnelDuplex, payload: Buffer): Promise<Buffer> {
  const back = collect(d);
  // Write in 64 KiB pieces so backpressure (writes waiting for window) is exercised.
  for (let off = 0; off < payload.length; off += 65536) {
    if (!d.write(payload.subarray(off, off + 65536))) await new Promise((r) => d.once('drain', r));
  }
  d.end();
  return back;
}

test('our client and server: extended CONNECT (websocket) echoes 4 MiB through the tunnel both ways', async (t) => {
  const server = await echoServer();
  const client = await HTTP2Client.connect(`http://127.0.0.1:${server.port}/chat`);
  try {
    const tun = await client.openTunnel({ protocol: 'websocket' });
    t.is(tun.status, 200);
    t.deepEqual(
      tun.headers.filter(([n]) => n.startsWith('x-')),
      [
        ['x-protocol', 'websocket'],
        ['x-path', '/chat'],
      ],
    );
    const payload = crypto.randomBytes(4 * 1024 * 1024);
    const back = await roundTrip(tun.duplex, payload);
    t.is(sha(back), sha(payload));
  } finally {
    await client.close();
    await server.close();
  }
});

test('our client and server: plain CONNECT tunnels, a refused CONNECT rejects with the status', async (t) => {
  const server = await echoServer();
  const client = await HTTP2Client.connect(`http://127.0.0.1:${server.port}/`);
  try {
    const tun = await client.openTunnel({ authority: 'example.org:443' });
    t.is(tun.headers.find(([n]) => n === 'x-protocol')?.[1], 'none');
    t.is((await roundTrip(tun.duplex, Buffer.from('ping'))).toString(), 'ping');
    const err = await t.throwsAsync(client.openTunnel({ authority: 'refuse:1' }), { instanceOf: TunnelRefusedError });
    t.is(err!.response.status, 403);
    // A plain GET still works on the same connection.
    const res = await client.request({ path: '/' });
    t.is(await res.text(), 'not a tunnel\n');
  } finally {
    await client.close();
    await server.close();
  }
});

test('a server without enableConnectProtocol: openTunnel refuses before sending anything', async (t) => {
  const server = await echoServer(false);
  const client = await HTTP2Client.connect(`http://127.0.0.1:${server.port}/chat`);
  try {
    await t.throwsAsync(client.openTunnel({ protocol: 'websocket' }), { message: /SETTINGS_ENABLE_CONNECT_PROTOCOL/ });
    t.is((await client.request({ path: '/' })).status, 200);
  } finally {
    await client.close();
    await server.close();
  }
});

test('destroying the tunnel resets the stream; the server side sees the error, the connection lives on', async (t) => {
  let serverSide: TunnelDuplex | undefined;
  let onServerError: (e: Error) => void = () => undefined;
  const seen = new Promise<Error>((resolve) => (onServerError = resolve));
  class Handler extends BaseRequestHandler {
    override onHeaders(): void {
      if (!this.isConnect) return void this.sendResponse({ status: 200 });
      serverSide = this.acceptTunnel();
      serverSide.on('error', onServerError);
      serverSide.resume();
    }
  }
  const server = new HTTP2Server({ host: '127.0.0.1', port: 0 }, Handler, { enableConnectProtocol: true });
  await server.listen();
  const client = await HTTP2Client.connect(`http://127.0.0.1:${server.port}/x`);
  try {
    const tun = await client.openTunnel({ protocol: 'websocket' });
    tun.duplex.on('error', () => undefined);
    tun.duplex.write('hello');
    tun.duplex.destroy();
    const err = await seen;
    t.regex(err.message, /CANCEL/);
    t.truthy(serverSide);
    t.is((await client.request({ path: '/' })).status, 200);
  } finally {
    await client.close();
    await server.close();
  }
});

test("a peer's reset of a tunnel nobody listens to for 'error' crashes nothing: the Duplex is errored and closed, the connection lives on", async (t) => {
  class ResetOnData extends BaseRequestHandler {
    override onHeaders(): void {
      if (!this.isConnect) return void this.sendResponse({ status: 200 });
      const d = this.acceptTunnel();
      d.on('error', () => undefined);
      d.once('data', () => d.destroy());
    }
  }
  const server = new HTTP2Server({ host: '127.0.0.1', port: 0 }, ResetOnData, { enableConnectProtocol: true });
  await server.listen();
  const client = await HTTP2Client.connect(`http://127.0.0.1:${server.port}/x`);
  try {
    const tun = await client.openTunnel({ protocol: 'websocket' });
    // No 'error' listener on the client's Duplex: the server's RST_STREAM(CANCEL) must not throw.
    const closed = new Promise((resolve) => tun.duplex.once('close', resolve));
    tun.duplex.resume();
    tun.duplex.write('x');
    await closed;
    t.regex(String((tun.duplex.errored as Error | null)?.message), /CANCEL/);
    t.is((await client.request({ path: '/' })).status, 200);
  } finally {
    await client.close();
    await server.close();
  }
});

test("Node's http2 client opens an extended CONNECT to our server", async (t) => {
  const server = await echoServer();
  const session = http2.connect(`http://127.0.0.1:${server.port}`);
  session.on('error', () => undefined);
  try {
    const settings = await new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve));
    t.true(settings.enableConnectProtocol);
    const req = session.request(
      { ':method': 'CONNECT', ':protocol': 'websocket', ':path': '/chat', ':scheme': 'http', ':authority': `127.0.0.1:${server.port}` },
      { endStream: false },
    );
    const head = await new Promise<http2.IncomingHttpHeaders>((resolve) => req.once('response', resolve));
    t.is(Number(head[':status']), 200);
    t.is(head['x-protocol'], 'websocket');
    const payload = crypto.randomBytes(1024 * 1024);
    const back = collect(req);
    req.end(payload);
    t.is(sha(await back), sha(payload));
  } finally {
    session.close();
    await server.close();
  }
});

test("our client opens an extended CONNECT to Node's http2 server", async (t) => {
  const node = http2.createServer({ settings: { enableConnectProtocol: true } });
  node.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    stream.respond({ ':status': '200', 'x-protocol': String(headers[':protocol']) });
    stream.pipe(stream);
  });
  await new Promise<void>((r) => node.listen(0, '127.0.0.1', r));
  const port = (node.address() as AddressInfo).port;
  const client = await HTTP2Client.connect(`http://127.0.0.1:${port}/chat`);
  try {
    const tun = await client.openTunnel({ protocol: 'websocket' });
    t.is(tun.headers.find(([n]) => n === 'x-protocol')?.[1], 'websocket');
    const payload = crypto.randomBytes(1024 * 1024);
    t.is(sha(await roundTrip(tun.duplex, payload)), sha(payload));
  } finally {
    await client.close();
    await new Promise<void>((r) => node.close(() => r()));
  }
});

/** python-hyper h2 as a client (mode `client PORT`) or a one-connection server (mode `server`, prints its port). */
const PY_H2 = `
import socket, sys, json
import h2.connection, h2.config, h2.events, h2.settings
mode = sys.argv[1]
if mode == 'client':
    s = socket.create_connection(('127.0.0.1', int(sys.argv[2])), timeout=10)
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
else:
    ls = socket.socket(); ls.bind(('127.0.0.1', 0)); ls.listen(1)
    print(ls.getsockname()[1], flush=True)
    ls.settimeout(10)
    s, _ = ls.accept(); s.settimeout(10)
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    c.local_settings = h2.settings.Settings(client=False, initial_values={h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1})
c.initiate_connection(); s.sendall(c.data_to_send())
got = {'status': None, 'protocol': None, 'data': b'', 'ended': False, 'enabled': False}
sid = None
while not got['ended']:
    d = s.recv(65536)
    if not d: break
    for ev in c.receive_data(d):
        if isinstance(ev, h2.events.RemoteSettingsChanged) and mode == 'client' and sid is None:
            v = ev.changed_settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL)
            got['enabled'] = bool(v and v.new_value == 1)
            sid = c.get_next_available_stream_id()
            c.send_headers(sid, [(':method', 'CONNECT'), (':protocol', 'websocket'), (':scheme', 'http'), (':path', '/chat'), (':authority', 'localhost')])
            c.send_data(sid, b'hello from h2', end_stream=True)
        elif isinstance(ev, h2.events.ResponseReceived):
            got['status'] = dict(ev.headers).get(b':status', b'').decode()
        elif isinstance(ev, h2.events.RequestReceived):
            sid = ev.stream_id
            got['protocol'] = dict(ev.headers).get(b':protocol', b'').decode()
            c.send_headers(sid, [(':status', '200')])
        elif isinstance(ev, h2.events.DataReceived):
            got['data'] += ev.data
            c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            if mode == 'server': c.send_data(ev.stream_id, ev.data)
        elif isinstance(ev, h2.events.StreamEnded):
            if mode == 'server': c.end_stream(ev.stream_id)
            got['ended'] = True
    s.sendall(c.data_to_send())
got['data'] = got['data'].decode()
print(json.dumps(got), flush=True)
s.close()
`;

const tpy = hasPyH2 ? test : test.skip;
if (!hasPyH2) test('python-hyper h2 interop skipped: install python3-h2 (Debian) for /usr/bin/python3', (t) => t.pass());

function runPy(args: string[], onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(PY, ['-c', PY_H2, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
    p.stdout.on('data', (d: Buffer) => {
      const before = out.length;
      out += d.toString();
      if (onLine && before === 0) onLine(out.split('\n')[0]);
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`python h2 exited ${code}: ${err}`));
    });
  });
}

tpy('python-hyper h2 client: extended CONNECT to our server after our SETTINGS, echoed', async (t) => {
  const server = await echoServer();
  try {
    const out = await runPy(['client', String(server.port)]);
    const got = JSON.parse(out.trim().split('\n').pop()!);
    t.deepEqual(got, { status: '200', protocol: null, data: 'hello from h2', ended: true, enabled: true });
  } finally {
    await server.close();
  }
});

tpy('python-hyper h2 server: our client waits for its SETTINGS, then tunnels', async (t) => {
  let portLine: (p: string) => void = () => undefined;
  const portP = new Promise<string>((r) => (portLine = r));
  const done = runPy(['server'], (l) => portLine(l));
  const port = Number(await portP);
  const client = await HTTP2Client.connect(`http://127.0.0.1:${port}/chat`);
  try {
    const tun = await client.openTunnel({ protocol: 'websocket' });
    t.is(tun.status, 200);
    const back = await roundTrip(tun.duplex, Buffer.from('hello from ts'));
    t.is(back.toString(), 'hello from ts');
    const got = JSON.parse((await done).trim().split('\n').pop()!);
    t.is(got.protocol, 'websocket');
    t.is(got.data, 'hello from ts');
  } finally {
    await client.close().catch(() => undefined);
  }
});
