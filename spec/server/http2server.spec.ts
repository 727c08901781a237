/**
 * HTTP2Server / BaseRequestHandler: the handler callbacks and their order, request properties,
 * response bodies of every kind, headers as object or pairs, push (and push refused), resets,
 * and a throwing handler that costs its stream only.
 */
import test from 'ava';
import { Readable } from 'stream';
import * as http2 from 'http2';
import { HTTP2Server, BaseRequestHandler, toHeaderList } from '../../lib/index';
import { HTTP2Client } from '../../lib/client';
import { ErrorCode } from '../../lib/protocol/errors';
import { until } from '../helpers/wait';

const log: string[] = [];
let closeCodes: number[] = [];

class Handler extends BaseRequestHandler {
  private body = '';
  override onHeaders(): void {
    log.push(`headers ${this.method} ${this.path} ${this.scheme} ${this.host} ${this.streamId}`);
    if (this.path === '/throw-headers') throw new Error('boom');
  }
  override onData(chunk: Buffer): void {
    this.body += chunk.toString();
  }
  override async onRequestDone(): Promise<void> {
    log.push(`done ${this.path}`);
    switch (this.path) {
      case '/info':
        return this.sendResponse({
          headers: { 'content-type': 'application/json', 'x-multi': ['a', 'b'] },
          body: JSON.stringify({
            clientAddress: this.clientAddress,
            method: this.method,
            body: this.body,
            ua: this.headers.find((h) => h[0] === 'user-agent')?.[1],
          }),
        });
      case '/pairs':
        return this.sendResponse({ status: 201, headers: [['X-Pair', 'v']], body: Buffer.from('pairs') });
      case '/stream':
        return this.sendResponse({ body: Readable.from(['a', 'b', 'c']) });
      case '/empty':
        return this.sendResponse({ status: 204 });
      case '/push': {
        const ok = this.push({ path: '/p.js', headers: { 'content-type': 'text/javascript' }, body: 'p()' });
        return this.sendResponse({ body: `pushed=${ok}` });
      }
      case '/throw-async':
        throw new Error('async boom');
      case '/hang':
        return; // never answers; the client resets
      default:
        return this.sendResponse({ status: 404 });
    }
  }
  override onClose(errorCode: number): void {
    closeCodes.push(errorCode);
  }
}

async function withServer(
  fn: (c: HTTP2Client, port: number) => Promise<void>,
  clientOpts: Parameters<typeof HTTP2Client.connect>[1] = {},
): Promise<void> {
  const server = new HTTP2Server({ host: '127.0.0.1', port: 0 }, Handler);
  const port = await server.listen();
  const c = await HTTP2Client.connect(`http://127.0.0.1:${port}/`, clientOpts);
  try {
    await fn(c, port);
  } finally {
    await c.close();
    await server.close();
  }
}

test.serial('callbacks in order; request properties; body from onData; headers object with repeats', async (t) => {
  log.length = 0;
  await withServer(async (c) => {
    const r = await c.request({ method: 'POST', path: '/info', headers: { 'user-agent': 'spec' }, body: 'hello body' });
    t.is(r.status, 200);
    t.deepEqual(
      r.headers.filter((h) => h[0] === 'x-multi').map((h) => h[1]),
      ['a', 'b'],
    );
    const j = JSON.parse(await r.text());
    t.is(j.clientAddress, '127.0.0.1');
    t.is(j.method, 'POST');
    t.is(j.body, 'hello body');
    t.is(j.ua, 'spec');
  });
  t.true(log[0].startsWith('headers POST /info http 127.0.0.1:'));
  t.is(log[1], 'done /info');
});

test.serial('bodies: Buffer with [name, value] pairs, Readable, none (204)', async (t) => {
  await withServer(async (c) => {
    const p = await c.request({ path: '/pairs' });
    t.is(p.status, 201);
    t.is(p.headers.find((h) => h[0] === 'x-pair')?.[1], 'v');
    t.is(await p.text(), 'pairs');
    const s = await c.request({ path: '/stream' });
    t.is(await s.text(), 'abc');
    const e = await c.request({ path: '/empty' });
    t.is(e.status, 204);
    t.is(await e.text(), '');
  });
});

test.serial('push: delivered when the client allows it; push() returns false when it does not', async (t) => {
  await withServer(async (c) => {
    const r = await c.request({ path: '/push' });
    t.is(await r.text(), 'pushed=true');
    t.is(r.pushes.length, 1);
    t.is(await (await r.pushes[0].response).text(), 'p()');
  });
  await withServer(
    async (c) => {
      const r = await c.request({ path: '/push' });
      t.is(await r.text(), 'pushed=false');
      t.is(r.pushes.length, 0);
    },
    { connection: { session: { settings: { enablePush: false } } } },
  );
});

test.serial('a throwing handler resets only its stream (INTERNAL_ERROR); a client reset reaches onClose', async (t) => {
  closeCodes = [];
  await withServer(async (c) => {
    await t.throwsAsync(c.request({ path: '/throw-headers' }));
    await t.throwsAsync(c.request({ path: '/throw-async' }));
    const ok = await c.request({ path: '/pairs' });
    t.is(await ok.text(), 'pairs');
    const st = c.connection.request(
      [
        [':method', 'GET'],
        [':scheme', 'http'],
        [':authority', 'x'],
        [':path', '/hang'],
      ],
      { endStream: true },
    );
    // Reset once the handler has the whole request (so the reset reaches a stream it knows).
    await until(() => log.includes('done /hang'));
    st.reset(ErrorCode.CANCEL);
    await until(() => closeCodes.includes(ErrorCode.CANCEL));
  });
  t.true(closeCodes.includes(ErrorCode.INTERNAL_ERROR));
  t.true(closeCodes.includes(ErrorCode.CANCEL));
});

test.serial('TLS server: node:http2 fetches over ALPN h2', async (t) => {
  const { fixtureTls } = await import('../interop/harness');
  const f = fixtureTls();
  const server = new HTTP2Server({ host: '127.0.0.1', port: 0 }, Handler, { tls: { key: f.key, cert: f.cert } });
  const port = await server.listen();
  const client = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
  const body = await new Promise<string>((resolve, reject) => {
    const req = client.request({ ':path': '/pairs' });
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (s += d));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
  t.is(body, 'pairs');
  client.close();
  await server.close();
});

test('toHeaderList: lowercases names, stringifies values, repeats arrays, skips undefined', (t) => {
  t.deepEqual(toHeaderList({ 'Content-Length': 5, 'X-A': ['1', 2], skip: undefined }), [
    ['content-length', '5'],
    ['x-a', '1'],
    ['x-a', '2'],
  ]);
  t.deepEqual(toHeaderList([['X-B', 'v']]), [['x-b', 'v']]);
});
