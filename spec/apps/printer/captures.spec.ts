/**
 * The printer against recorded nghttp -nv runs (vectors/frames/nghttp-captures.json, made by
 * vectors/frames/capture.js): both byte streams go through the frame layers (with hpack.js
 * decoding, and with our own HpackDecoder) and the printer; the trace must equal nghttp's own,
 * frame for frame and line for line, per direction. No binaries needed.
 */
import test from 'ava';
import fs from 'fs';
import path from 'path';
import { FrameReader, type BlockDecoder } from '../../../lib/protocol/frame/pipeline';
import { HpackDecoder } from '../../../lib/protocol/hpack/decoder';
import { FramePrinter, HeadersCategoryTracker } from '../../../lib/apps/printer';
import type { Frame } from '../../../lib/protocol/frame/types';
import { repoRoot } from '../../protocol/frame/helpers';
import { hpackJsDecoder, traceBlocks } from './trace-blocks';

interface Capture {
  name: string;
  args: string[];
  client: string;
  server: string;
  nghttp: string;
}

const captures: Capture[] = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'vectors/frames/nghttp-captures.json'), 'utf8'));

function replay(c: Capture, decoder: () => BlockDecoder, chunk: number): string {
  let out = '';
  const printer = new FramePrinter({ write: (s) => (out += s), now: () => 0 });
  const cats = new HeadersCategoryTracker();
  const readers = [new FrameReader({ decoder: decoder(), expectPreface: true }), new FrameReader({ decoder: decoder() })];
  const streams = [Buffer.from(c.client, 'base64'), Buffer.from(c.server, 'base64')];
  // interleave the two directions chunk by chunk; order within a direction is what matters
  for (let at = 0; at < Math.max(streams[0].length, streams[1].length); at += chunk) {
    streams.forEach((bytes, i) => {
      const fromClient = i === 0;
      readers[i].push(bytes.subarray(at, at + chunk), (f: Frame) => {
        const info = { category: cats.categorize(f, fromClient) };
        if (fromClient) printer.sent(f, info);
        else printer.received(f, info);
      });
    });
  }
  return out;
}

for (const c of captures) {
  for (const [dname, decoder] of [
    ['hpack.js', hpackJsDecoder],
    ['HpackDecoder', () => new HpackDecoder()],
  ] as const) {
    test(`${c.name} (nghttp ${c.args.join(' ')}), decoded by ${dname}: same trace as nghttp`, (t) => {
      const theirs = traceBlocks(c.nghttp);
      t.true(theirs.send.length >= 8 && theirs.recv.length >= 3);
      for (const chunk of [1, 7, 1000, 1 << 20]) {
        const ours = traceBlocks(replay(c, decoder, chunk));
        t.deepEqual(ours.send, theirs.send, `send, chunk ${chunk}`);
        t.deepEqual(ours.recv, theirs.recv, `recv, chunk ${chunk}`);
      }
    });
  }
}
