/**
 * The printer against nghttp's and nghttpd's own output: traces in shared/reference/samples are
 * replayed as printer calls with real frames (received frames go through encode + parse), and
 * the text must match the sample line by line with timestamps masked.
 */
import test, { ExecutionContext } from 'ava';
import fs from 'fs';
import path from 'path';
import { FramePrinter, formatTimer, frameToJson, HeadersCategoryTracker, hexdump } from '../../../lib/apps/printer';
import { encodeFrame, parseFrameBytes } from '../../../lib/protocol/frame/codec';
import { FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame, HeaderField, HeadersFrame, PrioritySpec } from '../../../lib/protocol/frame/types';
import { repoRoot } from '../../protocol/frame/helpers';
import { NO_REFERENCE_SAMPLES } from '../../helpers/repo';

const SAMPLES = path.resolve(repoRoot(), '../shared/reference/samples');
const haveSamples = fs.existsSync(SAMPLES);
/** Specs that replay the C tools' recorded output; skipped, saying why, where it is absent. */
const st = (title: string, fn: (t: ExecutionContext) => unknown) =>
  haveSamples ? test(title, fn) : test.skip(`${title} (skipped: ${NO_REFERENCE_SAMPLES})`, fn);

/** The lines of a sample from `first` (a line prefix) to `last` inclusive, timestamps masked. */
function sampleLines(file: string, from: number, to: number): string[] {
  return fs
    .readFileSync(path.join(SAMPLES, file), 'latin1')
    .split('\n')
    .slice(from - 1, to)
    .map(mask);
}
const mask = (l: string) => l.replace(/\[ *\d+\.\d{3}\]/g, '[T]');

function printerFor(prefix?: number): { p: FramePrinter; lines: () => string[] } {
  let out = '';
  const p = new FramePrinter({ write: (s) => (out += s), prefix, now: () => 0 });
  return { p, lines: () => out.replace(/\n$/, '').split('\n').map(mask) };
}

/** A frame as the receiver sees it: encoded, then parsed back. */
const wire = (f: Frame): Frame => parseFrameBytes(encodeFrame(f));
const block = (n: number) => Buffer.alloc(n, 0x82);
const prio = (dependsOn: number, weight: number): PrioritySpec => ({ exclusive: false, dependsOn, weight });
const settings = (...kv: [number, number][]): Frame => ({
  type: FrameType.SETTINGS,
  flags: 0,
  streamId: 0,
  settings: kv.map(([id, value]) => ({ id, value })),
});
const ack: Frame = { type: FrameType.SETTINGS, flags: 1, streamId: 0, settings: [] };
const goaway: Frame = { type: FrameType.GOAWAY, flags: 0, streamId: 0, lastStreamId: 0, errorCode: 0, debugData: Buffer.alloc(0) };
const nghttpPriorities = (): Frame[] =>
  [
    [3, 0, 201],
    [5, 0, 101],
    [7, 0, 1],
    [9, 7, 1],
    [11, 3, 1],
  ].map(([s, d, w]) => ({ type: FrameType.PRIORITY, flags: 0, streamId: s, priority: prio(d, w) }));
const fields = (text: string): HeaderField[] =>
  text
    .trim()
    .split('\n')
    .map((l) => {
      const i = l.indexOf(': ', 1);
      return [l.slice(0, i).trim(), l.slice(i + 2)];
    });

const requestHeaders = fields(`
:method: POST
:path: /1k
:scheme: http
:authority: 127.0.0.1:47180
accept: */*
accept-encoding: gzip, deflate
user-agent: nghttp2/1.52.0
content-length: 15
trailer: x-cli-trailer`);
const responseHeaders = fields(`
:status: 200
server: nghttpd nghttp2/1.52.0
cache-control: max-age=3600
date: Tue, 24 Nov 2026 21:52:30 GMT
content-length: 1024
last-modified: Tue, 24 Nov 2026 21:47:41 GMT
trailer: x-srv-trailer`);

st('nghttpd -v -b 16 with trailers (server side, [id=1] prefix) matches the sample', (t) => {
  const { p, lines } = printerFor(1);
  p.sent(settings([3, 100]));
  p.received(wire(settings([3, 100], [4, 65535])));
  p.received(wire(ack));
  for (const f of nghttpPriorities()) p.received(wire(f));
  // -b 8 on the client: 8 octets of padding overhead per frame
  const req = wire({
    type: FrameType.HEADERS,
    flags: 0x04,
    streamId: 13,
    priority: prio(11, 16),
    padLength: 7,
    fragment: block(74 - 5 - 8),
  });
  p.received(req, { headers: requestHeaders, category: 'request' });
  p.received(wire({ type: FrameType.DATA, flags: 0, streamId: 13, data: block(15), padLength: 7 }));
  p.received(wire({ type: FrameType.HEADERS, flags: 0x05, streamId: 13, padLength: 7, fragment: block(16) }), {
    headers: [['x-cli-trailer', 'yes']],
    category: 'headers',
  });
  p.sent(ack);
  p.sent(
    { type: FrameType.HEADERS, flags: 0x04, streamId: 13, padLength: 15, fragment: block(118 - 16) },
    { headers: responseHeaders, category: 'response' },
  );
  p.sent({ type: FrameType.DATA, flags: 0, streamId: 13, data: block(1024), padLength: 15 });
  p.sent(
    { type: FrameType.HEADERS, flags: 0x05, streamId: 13, padLength: 15, fragment: block(16) },
    { headers: [['x-srv-trailer', 'yes']] },
  );
  p.streamClosed(13);
  p.received(wire(goaway));
  p.closed();
  t.deepEqual(lines(), sampleLines('nghttp-nv-padding-trailer.server.txt', 3, 67));
});

st('nghttp -nv with server push (client side) matches the sample', (t) => {
  const { p, lines } = printerFor();
  const cats = new HeadersCategoryTracker();
  p.connected();
  p.received(wire(settings([3, 100])));
  p.sent(settings([3, 100], [4, 65535]));
  p.sent(ack);
  for (const f of nghttpPriorities()) p.sent(f);
  const get: HeadersFrame = { type: FrameType.HEADERS, flags: 0x05, streamId: 13, priority: prio(11, 16), fragment: block(34) };
  p.sent(get, {
    category: cats.categorize(get, true),
    headers: fields(
      ':method: GET\n:path: /\n:scheme: http\n:authority: 127.0.0.1:47180\naccept: */*\naccept-encoding: gzip, deflate\nuser-agent: nghttp2/1.52.0',
    ),
  });
  p.received(wire(ack));
  const pushes: [number, string, number][] = [
    [2, '/style.css', 24],
    [4, '/app.js', 11],
  ];
  for (const [promised, pathName, n] of pushes) {
    const pp = wire({ type: FrameType.PUSH_PROMISE, flags: 0x04, streamId: 13, promisedStreamId: promised, fragment: block(n) });
    cats.categorize(pp, false);
    p.received(pp, { headers: fields(`:method: GET\n:path: ${pathName}\n:scheme: http\n:authority: 127.0.0.1:47180`) });
  }
  const resp = wire({ type: FrameType.HEADERS, flags: 0x04, streamId: 13, fragment: block(93) });
  p.received(resp, {
    category: cats.categorize(resp, false),
    headers: fields(
      ':status: 200\nserver: nghttpd nghttp2/1.52.0\ncache-control: max-age=3600\ndate: Tue, 24 Nov 2026 21:52:15 GMT\ncontent-length: 971\nlast-modified: Tue, 24 Nov 2026 21:47:41 GMT\ncontent-type: text/html',
    ),
  });
  const push2 = wire({ type: FrameType.HEADERS, flags: 0x04, streamId: 2, fragment: block(18) });
  p.received(push2, {
    category: cats.categorize(push2, false),
    headers: fields(
      ':status: 200\nserver: nghttpd nghttp2/1.52.0\ncache-control: max-age=3600\ndate: Tue, 24 Nov 2026 21:52:15 GMT\ncontent-length: 17\nlast-modified: Tue, 24 Nov 2026 21:47:41 GMT\ncontent-type: text/css',
    ),
  });
  t.deepEqual(lines(), sampleLines('nghttp-nv-push-nghttpd.client.txt', 2, 72));
});

st('CONTINUATION-assembled HEADERS prints the summed length (nghttpd side of --continuation)', (t) => {
  const sample = sampleLines('nghttp-continuation.server.txt', 39, 42);
  const { p, lines } = printerFor(1);
  // 18583 = 5 octets of priority + 18578 of field block, split over HEADERS + CONTINUATION on the wire
  const assembled: HeadersFrame = {
    type: FrameType.HEADERS,
    flags: 0x25,
    streamId: 13,
    priority: prio(11, 16),
    fragment: block(18578),
    length: 18583,
    continuations: 1,
    continuationLength: 18583 - 16384,
  };
  p.received(assembled, { category: 'request' });
  t.deepEqual(lines(), sample);
});

st('WINDOW_UPDATE and the --hexdump block match the small-window sample', (t) => {
  const { p, lines } = printerFor();
  p.sent({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 13, windowSizeIncrement: 1023 });
  const bytes = Buffer.from('0000010001000000' + '0d67', 'hex');
  p.hexdump(bytes);
  p.received(parseFrameBytes(bytes));
  const all = fs.readFileSync(path.join(SAMPLES, 'nghttp-nv-hexdump-small-window.client.txt'), 'latin1').split('\n').map(mask);
  const at = all.indexOf('[T] send WINDOW_UPDATE frame <length=4, flags=0x00, stream_id=13>');
  t.true(at > 0);
  t.deepEqual(lines(), all.slice(at, at + 6));
});

st('hexdump of the first SETTINGS in the hexdump sample', (t) => {
  const all = fs.readFileSync(path.join(SAMPLES, 'nghttp-nv-hexdump-small-window.client.txt'), 'latin1').split('\n');
  t.is(hexdump(Buffer.from('000006040000000000000300000064', 'hex')), all.slice(2, 4).join('\n') + '\n');
});

test('hexdump: full lines, a short last line, repeated lines collapsed to *, total length', (t) => {
  const b = Buffer.concat([Buffer.from('0123456789abcdef'), Buffer.alloc(48), Buffer.from('xyz')]);
  t.is(
    hexdump(b),
    [
      '00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|',
      '00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|',
      '*',
      '00000040  78 79 7a                                          |xyz|',
      '00000043',
      '',
    ].join('\n'),
  );
  t.is(hexdump(Buffer.alloc(0)), '');
});

test('every frame type prints its nghttp detail line', (t) => {
  const { p, lines } = printerFor();
  p.received(wire({ type: FrameType.RST_STREAM, flags: 0, streamId: 1, errorCode: 8 }));
  p.received(wire({ type: FrameType.RST_STREAM, flags: 0, streamId: 1, errorCode: 0x55 }));
  p.received(wire({ type: FrameType.PING, flags: 1, streamId: 0, opaqueData: Buffer.from('0123456789abcdef', 'hex') }));
  p.received(wire({ type: FrameType.GOAWAY, flags: 0, streamId: 0, lastStreamId: 7, errorCode: 1, debugData: Buffer.from('bad\x01x') }));
  p.received(
    wire({
      type: FrameType.SETTINGS,
      flags: 0,
      streamId: 0,
      settings: [
        { id: 8, value: 1 },
        { id: 9, value: 1 },
        { id: 0x42, value: 5 },
      ],
    }),
  );
  p.received(wire({ type: FrameType.ALTSVC, flags: 0, streamId: 0, origin: 'https://a', fieldValue: 'h2=":443"' }));
  p.received(wire({ type: FrameType.ORIGIN, flags: 0, streamId: 0, origins: ['https://a', 'https://b'] }));
  p.received(wire({ type: FrameType.PRIORITY_UPDATE, flags: 0, streamId: 0, prioritizedStreamId: 3, priorityFieldValue: 'u=2' }));
  p.received(wire({ type: 0x42, flags: 0x10, streamId: 0, payload: Buffer.from('zz') }));
  p.received(wire({ type: FrameType.DATA, flags: 0x20, streamId: 1, data: Buffer.from('x') }));
  p.received(wire({ type: FrameType.HEADERS, flags: 0x04, streamId: 1, fragment: Buffer.from([0x82]) }), {
    headers: [['secret', 'v', true]],
  });
  p.invalid(wire({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 1, windowSizeIncrement: 5 }), 'Flow control error');
  p.dataChunk(13, 1024, 1024, 1024);
  p.error('Invalid HTTP header field was received');
  p.note('HTTP Upgrade request');
  t.deepEqual(lines(), [
    '[T] recv RST_STREAM frame <length=4, flags=0x00, stream_id=1>',
    '          (error_code=CANCEL(0x08))',
    '[T] recv RST_STREAM frame <length=4, flags=0x00, stream_id=1>',
    '          (error_code=unknown(0x55))',
    '[T] recv PING frame <length=8, flags=0x01, stream_id=0>',
    '          ; ACK',
    '          (opaque_data=0123456789abcdef)',
    '[T] recv GOAWAY frame <length=13, flags=0x00, stream_id=0>',
    '          (last_stream_id=7, error_code=PROTOCOL_ERROR(0x01), opaque_data(5)=[bad.x])',
    '[T] recv SETTINGS frame <length=18, flags=0x00, stream_id=0>',
    '          (niv=3)',
    '          [SETTINGS_ENABLE_CONNECT_PROTOCOL(0x08):1]',
    '          [SETTINGS_NO_RFC7540_PRIORITIES(0x09):1]',
    '          [UNKNOWN(0x42):5]',
    '[T] recv ALTSVC frame <length=20, flags=0x00, stream_id=0>',
    '          (origin=[https://a], altsvc_field_value=[h2=":443"])',
    '[T] recv ORIGIN frame <length=22, flags=0x00, stream_id=0>',
    '          [https://a]',
    '          [https://b]',
    '[T] recv PRIORITY_UPDATE frame <length=7, flags=0x00, stream_id=0>',
    '          (prioritized_stream_id=3, priority_field_value=[u=2])',
    '[T] recv extension(0x42) frame <length=2, flags=0x10, stream_id=0>',
    '          ; ',
    '[T] recv DATA frame <length=1, flags=0x20, stream_id=1>',
    '          ; ',
    '[T] recv (stream_id=1, sensitive) secret: v',
    '[T] recv HEADERS frame <length=1, flags=0x04, stream_id=1>',
    '          ; END_HEADERS',
    '          (padlen=0)',
    '[T] [INVALID; error=Flow control error] recv WINDOW_UPDATE frame <length=4, flags=0x00, stream_id=1>',
    '          (window_size_increment=5)',
    '[T] recv (stream_id=13, length=1024, srecv=1024, crecv=1024) DATA',
    '[T] [ERROR] Invalid HTTP header field was received',
    '[T] HTTP Upgrade request',
  ]);
});

test('timestamps: [  s.mmm], seconds padded to three columns and growing past them', (t) => {
  t.is(formatTimer(0), '[  0.000]');
  t.is(formatTimer(703.9), '[  0.703]');
  t.is(formatTimer(12345), '[ 12.345]');
  t.is(formatTimer(1234567), '[1234.567]');
  let now = 1000;
  let out = '';
  const p = new FramePrinter({ write: (s) => (out += s), now: () => now, startTime: 0 });
  now = 2500;
  p.connected();
  t.is(out, '[  2.500] Connected\n');
});

test('--color uses the escape sequences nghttp 1.52 writes on a terminal', (t) => {
  let out = '';
  const p = new FramePrinter({ write: (s) => (out += s), color: true, now: () => 0 });
  p.connected();
  p.received(wire(settings([3, 100])));
  p.sent(
    { type: FrameType.HEADERS, flags: 0x05, streamId: 13, fragment: block(3) },
    { headers: [[':method', 'GET']], category: 'request' },
  );
  p.received(wire({ type: FrameType.HEADERS, flags: 0x04, streamId: 13, fragment: block(3) }), {
    headers: [[':status', '404']],
    category: 'response',
  });
  t.is(
    out,
    '\x1b[33m[  0.000]\x1b[0m Connected\n' +
      '\x1b[33m[  0.000]\x1b[0m recv \x1b[1;36mSETTINGS\x1b[0m frame <length=6, flags=0x00, stream_id=0>\n' +
      '          (niv=1)\n          [SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]\n' +
      '\x1b[33m[  0.000]\x1b[0m send \x1b[1;35mHEADERS\x1b[0m frame <length=3, flags=0x05, stream_id=13>\n' +
      '          ; END_STREAM | END_HEADERS\n          (padlen=0)\n          ; Open new stream\n' +
      '          \x1b[1;34m:method\x1b[0m: GET\n' +
      '\x1b[33m[  0.000]\x1b[0m recv (stream_id=13) \x1b[1;34m:status\x1b[0m: 404\n' +
      '\x1b[33m[  0.000]\x1b[0m recv \x1b[1;36mHEADERS\x1b[0m frame <length=3, flags=0x04, stream_id=13>\n' +
      '          ; END_HEADERS\n          (padlen=0)\n          ; First response header\n',
  );
});

test('JSON lines: one parseable object per event, jq-friendly fields', (t) => {
  let out = '';
  let now = 0;
  const p = new FramePrinter({ write: (s) => (out += s), json: true, now: () => now, prefix: 3 });
  p.connected();
  now = 12;
  p.received(wire({ type: FrameType.HEADERS, flags: 0x25, streamId: 13, priority: prio(11, 16), padLength: 2, fragment: block(4) }), {
    headers: [
      [':status', '200'],
      ['set-cookie', 'a', true],
    ],
    category: 'response',
  });
  p.sent({ type: FrameType.GOAWAY, flags: 0, streamId: 0, lastStreamId: 13, errorCode: 0x77, debugData: Buffer.from('bye') });
  p.received(wire({ type: FrameType.DATA, flags: 1, streamId: 13, data: block(10) }));
  const objs = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.is(objs.length, 4);
  t.deepEqual(objs[0], { t: 0, id: 3, event: 'note', text: 'Connected' });
  t.deepEqual(objs[1], {
    t: 0.012,
    id: 3,
    dir: 'recv',
    type: 'HEADERS',
    typeCode: 1,
    length: 12,
    flags: 0x2d,
    flagNames: ['END_STREAM', 'END_HEADERS', 'PADDED', 'PRIORITY'],
    streamId: 13,
    padlen: 3,
    priority: { exclusive: false, dependsOn: 11, weight: 16 },
    category: 'response',
    headers: [
      [':status', '200'],
      ['set-cookie', 'a', true],
    ],
  });
  t.like(objs[2], { dir: 'send', type: 'GOAWAY', lastStreamId: 13, errorCode: 0x77, errorName: 'unknown', debugData: 'bye' });
  t.like(objs[3], { type: 'DATA', flagNames: ['END_STREAM'], dataLength: 10, padlen: 0 });
  t.like(frameToJson('recv', wire({ type: FrameType.PING, flags: 0, streamId: 0, opaqueData: Buffer.alloc(8, 1) })), {
    opaqueData: '0101010101010101',
  });
});

test('HeadersCategoryTracker classifies like nghttp2: request, response, push response, trailers', (t) => {
  const c = new HeadersCategoryTracker();
  const h = (streamId: number): HeadersFrame => ({ type: FrameType.HEADERS, flags: 4, streamId, fragment: block(1) });
  t.is(c.categorize(h(1), true), 'request');
  t.is(c.categorize(h(1), true), 'headers');
  t.is(c.categorize({ type: FrameType.PUSH_PROMISE, flags: 4, streamId: 1, promisedStreamId: 2, fragment: block(1) }, false), undefined);
  t.is(c.categorize(h(1), false), 'response');
  t.is(c.categorize(h(2), false), 'push_response');
  t.is(c.categorize(h(1), false), 'headers');
  t.is(c.categorize(ack, false), undefined);
});

test('JSON lines stay ASCII: header octets 0x80-0xff are escaped and parse back to the same latin1 string', (t) => {
  let out = '';
  const p = new FramePrinter({ write: (s) => (out += s), json: true, now: () => 0 });
  const value = 'caf\xe9\x7f\xff';
  p.received(wire({ type: FrameType.HEADERS, flags: 4, streamId: 1, fragment: block(1) }), { headers: [['x', value]] });
  t.true(/^[\x20-\x7e]*\n$/.test(out));
  t.is(JSON.parse(out).headers[0][1], value);
});

test("the session's 'push_response' spelling prints like 'push-response'", (t) => {
  const { p, lines } = printerFor();
  p.received(wire({ type: FrameType.HEADERS, flags: 4, streamId: 2, fragment: block(1) }), { category: 'push_response' });
  t.is(lines()[3], '          ; First push response header');
});
