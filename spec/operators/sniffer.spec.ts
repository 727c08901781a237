/**
 * The README's sniffer example runs as written: nghttp -nv goes through examples/sniffer.ts to
 * nghttpd, and the sniffer prints the same frames nghttp prints. Also the HPACK-composed layers
 * round-trip header lists with the real HpackEncoder/HpackDecoder.
 * The sniffer run needs nghttp2-client and nghttp2-server; skipped without them.
 */
import test from 'ava';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { execFile, spawn } from 'child_process';
import { from, lastValueFrom, toArray } from 'rxjs';
import { readFrames, writeFrames, createFrameReader, createFrameWriter } from '../../operators/layers';
import { Flag, FrameType } from '../../lib/protocol/frame/constants';
import { runStage } from '../../lib/protocol/stage';
import type { Frame, HeaderField, HeadersFrame } from '../../lib/protocol/frame/types';
import { repoRoot } from '../helpers/repo';
import { freePort, waitForPort } from '../helpers/net';

const have = fs.existsSync('/usr/bin/nghttp') && fs.existsSync('/usr/sbin/nghttpd');

const frameHeads = (text: string) =>
  text
    .split('\n')
    .filter((l) => / frame </.test(l))
    .map((l) => l.replace(/^\[ *\d+\.\d{3}\] /, ''));

(have ? test : test.skip)('examples/sniffer prints what nghttp -nv prints (needs nghttp2-client, nghttp2-server)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sniffer-'));
  fs.writeFileSync(path.join(dir, 'index.html'), 'hello\n');
  const [serverPort, sniffPort] = [await freePort(), await freePort()];
  const server = spawn('/usr/sbin/nghttpd', ['--no-tls', '-a', '127.0.0.1', '-d', dir, String(serverPort)], { stdio: 'ignore' });
  const sniffer = spawn(
    process.execPath,
    [path.join(repoRoot(), 'dist/examples/sniffer.js'), String(sniffPort), `127.0.0.1:${serverPort}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let trace = '';
  sniffer.stdout!.setEncoding('latin1').on('data', (s: string) => (trace += s));
  // the sniffer says on stderr when it listens (probing its port would open a connection it prints)
  const listening = new Promise<void>((resolve) => sniffer.stderr!.on('data', () => resolve()));
  try {
    await waitForPort(serverPort);
    await Promise.race([listening, new Promise((_, reject) => setTimeout(() => reject(new Error('sniffer did not start')), 20000))]);
    const theirs = await new Promise<string>((resolve, reject) =>
      execFile('/usr/bin/nghttp', ['-nv', `http://127.0.0.1:${sniffPort}/`], { timeout: 60_000, encoding: 'latin1' }, (e, out) =>
        e ? reject(e) : resolve(out),
      ),
    );
    const deadline = Date.now() + 20000;
    while (!trace.includes('GOAWAY') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const sorted = (a: string[]) => [...a].sort();
    t.true(frameHeads(theirs).length >= 10);
    t.deepEqual(sorted(frameHeads(trace)), sorted(frameHeads(theirs)));
    t.true(trace.includes('recv (stream_id=13) :status: 200'));
    t.true(trace.includes('          :method: GET'));
  } finally {
    sniffer.kill();
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('HPACK-composed layers: header lists in, bytes, the same header lists out (fresh context per pipe)', async (t) => {
  const lists: HeaderField[][] = [
    [
      [':method', 'GET'],
      [':path', '/'],
      [':scheme', 'https'],
      [':authority', 'example.com'],
      ['cookie', 'secret', true],
    ],
    [
      [':method', 'GET'],
      [':path', '/next'],
      [':scheme', 'https'],
      [':authority', 'example.com'],
      ['x-big', 'v'.repeat(30000)],
    ],
  ];
  const frames: Frame[] = lists.map((headers, i) => ({
    type: FrameType.HEADERS,
    flags: Flag.END_HEADERS | Flag.END_STREAM,
    streamId: 1 + 2 * i,
    fragment: Buffer.alloc(0),
    headers,
  }));
  const bytes = Buffer.concat(runStage(createFrameWriter({ preface: true }), frames));
  const back = runStage(createFrameReader({ expectPreface: true }), [bytes]) as HeadersFrame[];
  t.deepEqual(
    back.map((f) => f.headers),
    lists,
  );
  t.is(back[1].continuations, 1);
  // RxJS: each subscription has its own HPACK contexts, so subscribing twice works
  const op = writeFrames({ preface: true });
  const a = Buffer.concat(await lastValueFrom(from(frames).pipe(op, toArray())));
  const b = Buffer.concat(await lastValueFrom(from(frames).pipe(op, toArray())));
  t.deepEqual(a, b);
  const decoded: Frame[] = await lastValueFrom(from([a as Buffer]).pipe(readFrames({ expectPreface: true }), toArray()));
  t.deepEqual(
    decoded.map((f) => (f as HeadersFrame).headers),
    lists,
  );
});

test('the README shows examples/sniffer.ts verbatim (so the example there runs as written)', (t) => {
  const readme = fs.readFileSync(path.join(repoRoot(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- section:frames -->'), readme.indexOf('<!-- /section:frames -->'));
  const code = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].find((m) => m[1].includes('A custom HTTP/2 sniffer'));
  t.truthy(code);
  // The README imports from the package root ('nghttp2-ts'), the example from the repository.
  const body = (src: string) => src.replace(/^import [^\n]*\n/gm, '');
  t.is(body(code![1]), body(fs.readFileSync(path.join(repoRoot(), 'examples/sniffer.ts'), 'utf8')));
  t.true(code![1].split('\n').length <= 40);
});
