/** nghttp `-H ':method: CONNECT' -H ':protocol: websocket'`: an RFC 8441 extended CONNECT against Node's http2. */
import test from 'ava';
import * as http2 from 'http2';
import type { AddressInfo } from 'net';
import { runOurs } from './helpers';

async function withTunnelServer<T>(enable: boolean, fn: (port: number, seen: http2.IncomingHttpHeaders[]) => Promise<T>): Promise<T> {
  const seen: http2.IncomingHttpHeaders[] = [];
  const server = http2.createServer({ settings: { enableConnectProtocol: enable } });
  server.on('stream', (stream, headers) => {
    seen.push(headers);
    stream.on('error', () => undefined);
    stream.respond({ ':status': '200' });
    stream.pipe(stream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await fn((server.address() as AddressInfo).port, seen);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('-H :protocol waits for the server SETTINGS, sends the pseudo-headers first, and tunnels -d', async (t) => {
  await withTunnelServer(true, async (port, seen) => {
    const r = await runOurs(['-v', '-H', ':method: CONNECT', '-H', ':protocol: websocket', '-d', '-', `http://127.0.0.1:${port}/chat`], {
      input: 'hello tunnel\n',
    });
    t.is(r.code, 0, r.stderr);
    const out = r.stdout.toString();
    t.true(out.includes('hello tunnel\n'));
    t.true(out.indexOf('recv SETTINGS') < out.indexOf('send HEADERS'), 'the request waits for the server SETTINGS');
    t.regex(out, /:authority: 127\.0\.0\.1:\d+\n\s+:protocol: websocket\n\s+accept: \*\/\*/);
    t.regex(out, /\[SETTINGS_ENABLE_CONNECT_PROTOCOL\(0x08\):1\]/);
    t.is(seen[0][':protocol'], 'websocket');
    t.is(seen[0][':method'], 'CONNECT');
  });
});

test('-H :protocol against a server without SETTINGS_ENABLE_CONNECT_PROTOCOL: a one-line error, exit 1', async (t) => {
  await withTunnelServer(false, async (port, seen) => {
    const r = await runOurs(['-H', ':method: CONNECT', '-H', ':protocol: websocket', `http://127.0.0.1:${port}/chat`]);
    t.not(r.code, 0);
    t.regex(r.stderr, /SETTINGS_ENABLE_CONNECT_PROTOCOL/);
    t.is(seen.length, 0);
  });
});
