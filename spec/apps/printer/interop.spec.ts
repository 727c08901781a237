/**
 * The printer against the real nghttp: nghttp -nv talks to nghttpd through an in-process proxy
 * that reads both directions with the frame layers and prints them; the proxy's trace must equal
 * nghttp's own, frame for frame and line for line, per direction (timestamps masked).
 * Needs nghttp2-client (nghttp) and nghttp2-server (nghttpd); skipped without them.
 */
import test from 'ava';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { execFile, spawn, type ChildProcess } from 'child_process';
import { FrameReader } from '../../../lib/protocol/frame/pipeline';
import { FramePrinter, HeadersCategoryTracker } from '../../../lib/apps/printer';
import type { Frame } from '../../../lib/protocol/frame/types';
import { hpackJsDecoder, traceBlocks as blocks } from './trace-blocks';
import { freePort, waitForPort } from '../../helpers/net';
import { waitFor } from '../../helpers/wait';

const have = fs.existsSync('/usr/bin/nghttp') && fs.existsSync('/usr/sbin/nghttpd');
const it = have ? test.serial : test.skip;

/** A proxy printing both directions; returns its port, its trace so far, and a closer. */
async function sniffingProxy(
  upstream: number,
): Promise<{ port: number; trace: () => string; clientsEnded: () => boolean; close: () => Promise<void> }> {
  let out = '';
  const sockets = new Set<net.Socket>();
  let open = 0;
  const server = net.createServer((client) => {
    const up = net.connect(upstream, '127.0.0.1');
    sockets.add(client).add(up);
    // A client's socket ends after the proxy read (and traced) its last byte.
    open++;
    client.once('close', () => open--);
    const printer = new FramePrinter({ write: (s) => (out += s), now: () => 0 });
    const cats = new HeadersCategoryTracker();
    for (const [src, fromClient] of [
      [client, true],
      [up, false],
    ] as const) {
      const reader = new FrameReader({ decoder: hpackJsDecoder(), expectPreface: fromClient, maxFrameSize: 16777215 });
      const onFrame = (f: Frame) => {
        const info = { category: cats.categorize(f, fromClient) };
        if (fromClient) printer.sent(f, info);
        else printer.received(f, info);
      };
      src.on('data', (chunk: Buffer) => {
        try {
          reader.push(chunk, onFrame);
        } catch (err) {
          out += `ERROR ${(err as Error).message}\n`;
        }
      });
    }
    client.pipe(up).pipe(client);
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    trace: () => out,
    clientsEnded: () => open === 0,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 20_000, maxBuffer: 16 * 1024 * 1024, encoding: 'latin1' }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

let nghttpd: ChildProcess | undefined;
let dir = '';
let serverPort = 0;

test.before(async () => {
  if (!have) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'printer-interop-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<html><link rel="stylesheet" href="/style.css"></html>\n');
  fs.writeFileSync(path.join(dir, 'style.css'), 'body { color: red }\n');
  fs.writeFileSync(path.join(dir, 'big'), Buffer.alloc(70000, 0x61));
  fs.writeFileSync(path.join(dir, 'upload'), 'fifteen octets\n');
  serverPort = await freePort();
  nghttpd = spawn(
    '/usr/sbin/nghttpd',
    ['--no-tls', '-a', '127.0.0.1', '-d', dir, '-b', '16', '--trailer=x-srv-trailer:yes', '-p/=/style.css', String(serverPort)],
    { stdio: 'ignore' },
  );
  await waitForPort(serverPort);
});

test.after.always(() => {
  nghttpd?.kill();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const cases: [string, (port: number) => string[]][] = [
  ['GET with push, server padding and trailers', (p) => ['-nv', `http://127.0.0.1:${p}/`]],
  [
    'POST with client padding and trailer, small windows (WINDOW_UPDATE)',
    (p) => ['-nv', '-b', '8', '--trailer=x-cli-trailer:yes', '-d', path.join(dir, 'upload'), '-w', '14', `http://127.0.0.1:${p}/big`],
  ],
  ['--continuation (a field block over HEADERS + CONTINUATION)', (p) => ['-nv', '--continuation', `http://127.0.0.1:${p}/style.css`]],
];

for (const [name, args] of cases) {
  it(`proxy trace equals nghttp -nv: ${name}`, async (t) => {
    const proxy = await sniffingProxy(serverPort);
    try {
      const theirs = blocks(await run('/usr/bin/nghttp', args(proxy.port)));
      // nghttp has exited: the proxy has traced its last bytes once their socket closed.
      await waitFor('the proxy to read the client to its end', proxy.clientsEnded);
      const ours = blocks(proxy.trace());
      t.true(theirs.send.length > 3 && theirs.recv.length > 3);
      // the comparison covers header lines on both sides, not just frame heads
      t.true(theirs.send.some((b) => b.includes('; Open new stream\n          :method: ')));
      t.true(theirs.recv.some((b) => b.startsWith('[T] recv (stream_id=13) :status: ')));
      t.deepEqual(ours.send, theirs.send);
      t.deepEqual(ours.recv, theirs.recv);
    } finally {
      await proxy.close();
    }
  });
}
