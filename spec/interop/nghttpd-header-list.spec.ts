/**
 * bin/nghttpd, as users run it: a request whose header list is over the limit gets 431 on its
 * stream (RFC 9113 section 10.5.1), with no GOAWAY, and the same connection (same HPACK context)
 * goes on serving. One field of 70 KB is longer than any HPACK string cap, which used to end the
 * connection with COMPRESSION_ERROR.
 */
import test from 'ava';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { encodeFrame } from '../../lib/protocol/frame/codec';
import { CONNECTION_PREFACE, Flag, FrameType } from '../../lib/protocol/frame/constants';
import { Deframer } from '../../lib/protocol/frame/deframer';
import type { Frame, HeaderField } from '../../lib/protocol/frame/types';
import { HpackDecoder } from '../../lib/protocol/hpack/decoder';
import { HpackEncoder } from '../../lib/protocol/hpack/encoder';

function repoRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
}

async function startNghttpd(docroot: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [path.join(repoRoot(), 'bin/nghttpd'), '--no-tls', '-d', docroot, '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`nghttpd did not listen: ${out}`)), 20000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listen [^\n]*:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`nghttpd exited ${code}: ${out}`)));
  });
  return { child, port };
}

test('bin/nghttpd answers an oversized header list with 431 on that stream and keeps serving the connection', async (t) => {
  const docroot = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttp2-ts-431-'));
  fs.writeFileSync(path.join(docroot, 'index.html'), 'hello\n');
  const { child, port } = await startNghttpd(docroot);
  const sock = net.connect(port, '127.0.0.1');
  try {
    const frames: Frame[] = [];
    const deframer = new Deframer({ expectPreface: false, maxFrameSize: 16777215 });
    const dec = new HpackDecoder();
    const statuses = new Map<number, string>();
    let wake = () => undefined as void;
    sock.on('data', (c: Buffer) => {
      deframer.push(c, (f) => {
        frames.push(f);
        if (f.type === FrameType.HEADERS) {
          const st = dec.decode((f as Frame & { fragment: Buffer }).fragment).find((h) => h[0] === ':status');
          if (st) statuses.set(f.streamId, st[1]);
        }
      });
      wake();
    });
    sock.on('error', () => undefined);
    const until = (pred: () => boolean) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(pred()), 20000);
        wake = () => {
          if (pred()) {
            clearTimeout(timer);
            resolve(true);
          }
        };
        wake();
      });
    const enc = new HpackEncoder();
    const send = (f: Frame) => sock.write(encodeFrame(f));
    const request = (id: number, extra: HeaderField[]) => {
      const block = enc.encode([[':method', 'GET'], [':scheme', 'http'], [':authority', 'localhost'], [':path', '/'], ...extra]);
      for (let at = 0; at < block.length; at += 16384) {
        const last = at + 16384 >= block.length;
        const fragment = block.subarray(at, at + 16384);
        if (at === 0)
          send({ type: FrameType.HEADERS, flags: Flag.END_STREAM | (last ? Flag.END_HEADERS : 0), streamId: id, fragment } as Frame);
        else send({ type: FrameType.CONTINUATION, flags: last ? Flag.END_HEADERS : 0, streamId: id, fragment } as Frame);
      }
    };
    sock.write(CONNECTION_PREFACE);
    send({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] } as Frame);
    request(1, [
      ['x-big', 'a'.repeat(70000)],
      ['x-after', 'indexed'],
    ]);
    t.true(await until(() => statuses.has(1)), 'an answer on stream 1');
    t.is(statuses.get(1), '431');
    // Same connection, same HPACK context: the next request (reusing indexed fields) is served.
    request(3, [['x-after', 'indexed']]);
    t.true(await until(() => statuses.has(3)), 'an answer on stream 3');
    t.is(statuses.get(3), '200');
    t.falsy(
      frames.find((f) => f.type === FrameType.GOAWAY),
      'no GOAWAY',
    );
  } finally {
    sock.destroy();
    child.kill();
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(docroot, { recursive: true, force: true });
  }
});
