/**
 * The codec's verdicts against nghttp2's: each bad frame is sent to a real nghttpd after a valid
 * preface, and the error code nghttpd answers with (GOAWAY or RST_STREAM) must be the code the
 * codec raises. Where the codec follows the RFC's stream scope and nghttp2 escalates to the
 * connection, the row says so. Needs nghttp2-server (nghttpd); skipped without it.
 */
import test from 'ava';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { spawn, type ChildProcess } from 'child_process';
import { Deframer } from '../../../lib/protocol/frame/deframer';
import { parseFrameBytes } from '../../../lib/protocol/frame/codec';
import { CONNECTION_PREFACE, FrameType } from '../../../lib/protocol/frame/constants';
import { ErrorCode, H2Error } from '../../../lib/protocol/errors';
import type { Frame } from '../../../lib/protocol/frame/types';
import { hex } from './helpers';
import { waitForPort } from '../../helpers/net';

const have = fs.existsSync('/usr/sbin/nghttpd');
const it = have ? test.serial : test.skip;

/** [name, frame bytes, our scope, nghttpd's answer when it differs in scope ('goaway')] */
const rows: [string, string, 'connection' | 'stream', 'goaway'?][] = [
  ['PRIORITY of length 4', '000004 02 00 00000003 00000000', 'stream', 'goaway'],
  ['PRIORITY depending on itself', '000005 02 00 00000003 0000000310', 'stream', 'goaway'],
  ['WINDOW_UPDATE of 0 on the connection', '000004 08 00 00000000 00000000', 'connection'],
  ['HEADERS depending on itself', '000006 01 25 00000001 0000000110 82', 'connection'],
  ['SETTINGS_ENABLE_PUSH 2', '000006 04 00 00000000 000200000002', 'connection'],
  ['SETTINGS_ENABLE_CONNECT_PROTOCOL 2', '000006 04 00 00000000 000800000002', 'connection'],
  ['SETTINGS_NO_RFC7540_PRIORITIES 2', '000006 04 00 00000000 000900000002', 'connection'],
  ['SETTINGS_MAX_FRAME_SIZE 100', '000006 04 00 00000000 000500000064', 'connection'],
  ['SETTINGS_INITIAL_WINDOW_SIZE 2^31', '000006 04 00 00000000 000480000000', 'connection'],
  ['SETTINGS of length 5', '000005 04 00 00000000 0003000000', 'connection'],
  ['SETTINGS ACK with a payload', '000006 04 01 00000000 000300000064', 'connection'],
  ['SETTINGS on stream 1', '000000 04 00 00000001', 'connection'],
  ['DATA on stream 0', '000002 00 08 00000000 0261', 'connection'],
  ['RST_STREAM of length 3', '000003 03 00 00000001 000000', 'connection'],
  ['RST_STREAM on stream 0', '000004 03 00 00000000 00000008', 'connection'],
  ['PING of length 7', '000007 06 00 00000000 01020304050607', 'connection'],
  ['PING on stream 1', '000008 06 00 00000001 0102030405060708', 'connection'],
  ['GOAWAY on stream 1', '000008 07 00 00000001 0000000000000000', 'connection'],
  ['GOAWAY of length 7', '000007 07 00 00000000 00000000000000', 'connection'],
  ['WINDOW_UPDATE of length 3', '000003 08 00 00000000 000001', 'connection'],
  ['CONTINUATION on stream 0', '000001 09 04 00000000 82', 'connection'],
  ['HEADERS on stream 0', '000001 01 05 00000000 82', 'connection'],
  ['HEADERS whose Pad Length eats the payload', '000002 01 0d 00000001 0282', 'connection'],
];

let server: ChildProcess | undefined;
let port = 0;
let dir = '';

test.before(async () => {
  if (!have) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codec-nghttpd-'));
  port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  server = spawn('/usr/sbin/nghttpd', ['--no-tls', '-a', '127.0.0.1', '-d', dir, String(port)], { stdio: 'ignore' });
  await waitForPort(port);
});

test.after.always(() => {
  server?.kill();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Send preface + SETTINGS + the bad frame; collect nghttpd's answers until it closes (max 2 s). */
function answer(bytes: Buffer): Promise<Frame[]> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const frames: Frame[] = [];
    const d = new Deframer({ onStreamError: () => {} });
    const timer = setTimeout(() => s.destroy(), 2000);
    s.on('data', (c: Buffer) => {
      try {
        d.push(c, (f) => frames.push(f));
      } catch {
        s.destroy();
      }
      if (frames.some((f) => f.type === FrameType.GOAWAY || f.type === FrameType.RST_STREAM)) s.destroy();
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(frames);
    });
    s.on('error', () => {});
    s.write(Buffer.concat([CONNECTION_PREFACE, hex('000000 04 00 00000000'), bytes]));
  });
}

for (const [name, bytes, scope, theirs] of rows) {
  it(`${name}: nghttpd answers with the codec's error code${theirs ? ' (nghttp2 makes it a connection error; the codec keeps the RFC stream scope)' : ''}`, async (t) => {
    const err = t.throws(() => parseFrameBytes(hex(bytes)), { instanceOf: H2Error }) as H2Error;
    t.is(err.scope, scope);
    const frames = await answer(hex(bytes));
    const verdict = frames.find((f) => f.type === FrameType.GOAWAY || f.type === FrameType.RST_STREAM) as
      | { type: number; errorCode: number }
      | undefined;
    t.truthy(verdict, 'nghttpd answered with GOAWAY or RST_STREAM');
    t.is(ErrorCode[verdict!.errorCode], ErrorCode[err.code]);
    t.is(verdict!.type, scope === 'connection' || theirs === 'goaway' ? FrameType.GOAWAY : FrameType.RST_STREAM);
  });
}
