/**
 * RFC 9113 / RFC 7541 conformance of nghttpd, table-driven in the spirit of h2spec: each row
 * sends hand-built frames after the connection preface and names the error the RFC requires.
 * Runs over h2c and over TLS (ALPN h2). Where the RFC allows a stream or a connection error,
 * either is accepted with the named code.
 */
import test from 'ava';
import * as fs from 'fs';
import type { NghttpdServer } from '../../../lib/apps/nghttpd/server';
import { block, E, F, frame, headers, hpackInt, makeDocroot, RawClient, request, settings, startServer, T, u32 } from './raw';
import { expectQuietFor } from '../../helpers/wait';

type Expect =
  | { conn: number } // GOAWAY with this code (the connection is closed)
  | { stream: number; id: number } // RST_STREAM on `id` with this code, or a GOAWAY with it
  | { ping: true } // the connection is still fine: a PING is answered
  | { noGoaway: true } // no GOAWAY with an error code comes back
  | { status: string; id: number }; // a response with this status

interface Row {
  rfc: string;
  name: string;
  send: () => Buffer[];
  expect: Expect;
}

const GET = (id: number, p = '/1k') => headers(id, request(p));
const SETTINGS_ACK = settings([], F.ACK);
const ping8 = Buffer.from('abcdefgh');

const rows: Row[] = [
  // 3.4 / 4.1
  { rfc: '4.1', name: 'unknown frame types are ignored', send: () => [frame(0xfa, 0, 0, [1, 2, 3])], expect: { ping: true } },
  { rfc: '4.1', name: 'unknown flags are ignored', send: () => [frame(T.PING, 0xfe & ~F.ACK, 0, ping8)], expect: { ping: true } },
  {
    rfc: '4.2',
    name: 'DATA larger than SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR',
    send: () => [headers(1, request('/1k', [], 'POST'), F.END_HEADERS), frame(T.DATA, 0, 1, Buffer.alloc(16385))],
    expect: { conn: E.FRAME_SIZE_ERROR },
  },
  {
    rfc: '4.2',
    name: 'HEADERS larger than SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR',
    send: () => [frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, 1, Buffer.alloc(16385))],
    expect: { conn: E.FRAME_SIZE_ERROR },
  },
  {
    rfc: '4.3',
    name: 'undecodable header block: COMPRESSION_ERROR',
    send: () => [headers(1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))],
    expect: { conn: E.COMPRESSION_ERROR },
  },
  {
    rfc: '4.1',
    name: 'the reserved bit of the stream id is ignored',
    send: () => [
      (() => {
        const f = headers(1, request('/1k'));
        f[5] |= 0x80;
        return f;
      })(),
    ],
    expect: { status: '200', id: 1 },
  },
  {
    rfc: '7',
    name: 'GOAWAY with an unknown error code is not an error',
    send: () => [frame(T.GOAWAY, 0, 0, Buffer.concat([u32(0), u32(0xff)]))],
    expect: { noGoaway: true },
  },
  {
    rfc: '7',
    name: 'RST_STREAM with an unknown error code is not an error',
    send: () => [headers(1, request('/100k')), frame(T.RST_STREAM, 0, 1, u32(0xff))],
    expect: { ping: true },
  },
  {
    rfc: '6.1',
    name: 'padded DATA is accepted (POST)',
    send: () => [
      headers(1, request('/1k', [], 'POST'), F.END_HEADERS),
      frame(T.DATA, F.PADDED | F.END_STREAM, 1, [3, 0x61, 0x62, 0, 0, 0]),
    ],
    expect: { status: '200', id: 1 },
  },
  {
    rfc: '6.2',
    name: 'padded HEADERS with PRIORITY are accepted',
    send: () => [
      frame(
        T.HEADERS,
        F.END_HEADERS | F.END_STREAM | F.PADDED | F.PRIORITY,
        1,
        Buffer.concat([Buffer.from([4]), u32(0), Buffer.from([255]), block(request('/1k')), Buffer.alloc(4)]),
      ),
    ],
    expect: { status: '200', id: 1 },
  },
  {
    rfc: '7541 6.2.1',
    name: 'a field indexed into the dynamic table is reused by the next request',
    send: () => [
      headers(
        1,
        Buffer.concat([Buffer.from([0x82, 0x86, 0x41, 0x09]), Buffer.from('localhost'), Buffer.from([0x44, 0x03]), Buffer.from('/1k')]),
      ),
      headers(3, Buffer.from([0x82, 0x86, 0xbf, 0xbe])),
    ],
    expect: { status: '200', id: 3 },
  },
  // 5.1 stream states
  {
    rfc: '5.1',
    name: 'DATA on an idle stream: PROTOCOL_ERROR',
    send: () => [frame(T.DATA, F.END_STREAM, 1, [1])],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '5.1',
    name: 'RST_STREAM on an idle stream: PROTOCOL_ERROR',
    send: () => [frame(T.RST_STREAM, 0, 1, u32(E.CANCEL))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '5.1',
    name: 'WINDOW_UPDATE on an idle stream: PROTOCOL_ERROR',
    send: () => [frame(T.WINDOW_UPDATE, 0, 1, u32(1))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '5.1',
    name: 'CONTINUATION on an idle stream: PROTOCOL_ERROR',
    send: () => [frame(T.CONTINUATION, F.END_HEADERS, 1, block(request('/')))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '5.1',
    name: 'DATA on a half-closed (remote) stream: STREAM_CLOSED',
    send: () => [headers(1, request('/100k')), frame(T.DATA, F.END_STREAM, 1, [1])],
    expect: { stream: E.STREAM_CLOSED, id: 1 },
  },
  {
    rfc: '5.1',
    name: 'HEADERS on a half-closed (remote) stream: STREAM_CLOSED',
    send: () => [headers(1, request('/100k')), headers(1, [['x', 'y']])],
    expect: { stream: E.STREAM_CLOSED, id: 1 },
  },
  {
    rfc: '5.1',
    name: 'DATA after the client reset the stream: STREAM_CLOSED',
    send: () => [headers(1, request('/1k', [], 'POST'), F.END_HEADERS), frame(T.RST_STREAM, 0, 1, u32(E.CANCEL)), frame(T.DATA, 0, 1, [1])],
    expect: { stream: E.STREAM_CLOSED, id: 1 },
  },
  {
    rfc: '5.1',
    name: 'HEADERS after the client reset the stream: STREAM_CLOSED',
    send: () => [headers(1, request('/1k', [], 'POST'), F.END_HEADERS), frame(T.RST_STREAM, 0, 1, u32(E.CANCEL)), headers(1, [['x', 'y']])],
    expect: { stream: E.STREAM_CLOSED, id: 1 },
  },
  {
    rfc: '5.1',
    name: 'WINDOW_UPDATE and PRIORITY on a half-closed (remote) stream are fine',
    send: () => [
      settings([[4, 10]]),
      headers(1, request('/1k')),
      frame(T.WINDOW_UPDATE, 0, 1, u32(5000)),
      frame(T.PRIORITY, 0, 1, Buffer.concat([u32(0), Buffer.from([15])])),
    ],
    expect: { status: '200', id: 1 },
  },
  {
    rfc: '5.5',
    name: 'an unknown frame inside a header block: PROTOCOL_ERROR',
    send: () => [
      frame(T.HEADERS, F.END_STREAM, 1, block(request('/'))),
      frame(0xfa, 0, 1, [1]),
      frame(T.CONTINUATION, F.END_HEADERS, 1, Buffer.alloc(0)),
    ],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '8.4',
    name: 'PUSH_PROMISE from a client: PROTOCOL_ERROR',
    send: () => [headers(1, request('/100k')), frame(T.PUSH_PROMISE, F.END_HEADERS, 1, Buffer.concat([u32(2), block(request('/'))]))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  // 5.1.1 stream identifiers
  { rfc: '5.1.1', name: 'even stream id from a client: PROTOCOL_ERROR', send: () => [GET(2)], expect: { conn: E.PROTOCOL_ERROR } },
  {
    rfc: '5.1.1',
    name: 'stream id lower than one already used: PROTOCOL_ERROR',
    send: () => [GET(5), GET(3)],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  // 5.3.1 / 6.3 priority
  {
    rfc: '5.3.1',
    name: 'HEADERS depending on itself: PROTOCOL_ERROR',
    send: () => [
      frame(T.HEADERS, F.END_HEADERS | F.END_STREAM | F.PRIORITY, 1, Buffer.concat([u32(1), Buffer.from([15]), block(request('/'))])),
    ],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '5.3.1',
    name: 'PRIORITY depending on itself: PROTOCOL_ERROR',
    send: () => [frame(T.PRIORITY, 0, 3, Buffer.concat([u32(3), Buffer.from([15])]))],
    expect: { stream: E.PROTOCOL_ERROR, id: 3 },
  },
  {
    rfc: '6.3',
    name: 'PRIORITY on stream 0: PROTOCOL_ERROR',
    send: () => [frame(T.PRIORITY, 0, 0, Buffer.concat([u32(1), Buffer.from([15])]))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '6.3',
    name: 'PRIORITY of length 4: FRAME_SIZE_ERROR',
    send: () => [frame(T.PRIORITY, 0, 1, u32(0))],
    expect: { stream: E.FRAME_SIZE_ERROR, id: 1 },
  },
  {
    rfc: '6.3',
    name: 'PRIORITY on an idle stream is fine',
    send: () => [frame(T.PRIORITY, 0, 9, Buffer.concat([u32(0), Buffer.from([15])]))],
    expect: { ping: true },
  },
  // 6.1 DATA
  { rfc: '6.1', name: 'DATA on stream 0: PROTOCOL_ERROR', send: () => [frame(T.DATA, 0, 0, [1])], expect: { conn: E.PROTOCOL_ERROR } },
  {
    rfc: '6.1',
    name: 'DATA padding as long as the payload: PROTOCOL_ERROR',
    send: () => [headers(1, request('/1k', [], 'POST'), F.END_HEADERS), frame(T.DATA, F.PADDED, 1, [4, 0, 0, 0])],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  // 6.2 HEADERS
  { rfc: '6.2', name: 'HEADERS on stream 0: PROTOCOL_ERROR', send: () => [headers(0, request('/'))], expect: { conn: E.PROTOCOL_ERROR } },
  {
    rfc: '6.2',
    name: 'HEADERS padding longer than the payload: PROTOCOL_ERROR',
    send: () => [frame(T.HEADERS, F.END_HEADERS | F.END_STREAM | F.PADDED, 1, Buffer.concat([Buffer.from([200]), block(request('/'))]))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  // 6.4 RST_STREAM
  {
    rfc: '6.4',
    name: 'RST_STREAM on stream 0: PROTOCOL_ERROR',
    send: () => [frame(T.RST_STREAM, 0, 0, u32(E.CANCEL))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '6.4',
    name: 'RST_STREAM of length 3: FRAME_SIZE_ERROR',
    send: () => [GET(1, '/100k'), frame(T.RST_STREAM, 0, 1, [0, 0, 8])],
    expect: { conn: E.FRAME_SIZE_ERROR },
  },
  // 6.5 SETTINGS
  {
    rfc: '6.5',
    name: 'SETTINGS ACK with a payload: FRAME_SIZE_ERROR',
    send: () => [frame(T.SETTINGS, F.ACK, 0, Buffer.alloc(6))],
    expect: { conn: E.FRAME_SIZE_ERROR },
  },
  {
    rfc: '6.5',
    name: 'SETTINGS on a stream: PROTOCOL_ERROR',
    send: () => [frame(T.SETTINGS, 0, 1, Buffer.alloc(0))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '6.5',
    name: 'SETTINGS length not a multiple of 6: FRAME_SIZE_ERROR',
    send: () => [frame(T.SETTINGS, 0, 0, Buffer.alloc(5))],
    expect: { conn: E.FRAME_SIZE_ERROR },
  },
  { rfc: '6.5.2', name: 'SETTINGS_ENABLE_PUSH of 2: PROTOCOL_ERROR', send: () => [settings([[2, 2]])], expect: { conn: E.PROTOCOL_ERROR } },
  {
    rfc: '6.5.2',
    name: 'SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1: FLOW_CONTROL_ERROR',
    send: () => [settings([[4, 2 ** 31]])],
    expect: { conn: E.FLOW_CONTROL_ERROR },
  },
  {
    rfc: '6.5.2',
    name: 'SETTINGS_MAX_FRAME_SIZE below 16384: PROTOCOL_ERROR',
    send: () => [settings([[5, 16383]])],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '6.5.2',
    name: 'SETTINGS_MAX_FRAME_SIZE above 2^24-1: PROTOCOL_ERROR',
    send: () => [settings([[5, 2 ** 24]])],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  { rfc: '6.5.2', name: 'unknown SETTINGS are ignored', send: () => [settings([[0xff, 1]])], expect: { ping: true } },
  // 6.7 PING
  { rfc: '6.7', name: 'PING on a stream: PROTOCOL_ERROR', send: () => [frame(T.PING, 0, 1, ping8)], expect: { conn: E.PROTOCOL_ERROR } },
  {
    rfc: '6.7',
    name: 'PING of length 7: FRAME_SIZE_ERROR',
    send: () => [frame(T.PING, 0, 0, Buffer.alloc(7))],
    expect: { conn: E.FRAME_SIZE_ERROR },
  },
  // 6.8 GOAWAY
  {
    rfc: '6.8',
    name: 'GOAWAY on a stream: PROTOCOL_ERROR',
    send: () => [frame(T.GOAWAY, 0, 1, Buffer.concat([u32(0), u32(0)]))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  // 6.9 WINDOW_UPDATE
  {
    rfc: '6.9',
    name: 'connection WINDOW_UPDATE of 0: PROTOCOL_ERROR',
    send: () => [frame(T.WINDOW_UPDATE, 0, 0, u32(0))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '6.9',
    name: 'stream WINDOW_UPDATE of 0: PROTOCOL_ERROR',
    send: () => [headers(1, request('/100k')), frame(T.WINDOW_UPDATE, 0, 1, u32(0))],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '6.9',
    name: 'WINDOW_UPDATE of length 3: FRAME_SIZE_ERROR',
    send: () => [frame(T.WINDOW_UPDATE, 0, 0, [0, 0, 1])],
    expect: { conn: E.FRAME_SIZE_ERROR },
  },
  {
    rfc: '6.9.1',
    name: 'connection window above 2^31-1: FLOW_CONTROL_ERROR',
    send: () => [frame(T.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1))],
    expect: { conn: E.FLOW_CONTROL_ERROR },
  },
  {
    rfc: '6.9.1',
    name: 'stream window above 2^31-1: FLOW_CONTROL_ERROR',
    send: () => [
      settings([[4, 0]]),
      headers(1, request('/1k')),
      frame(T.WINDOW_UPDATE, 0, 1, u32(2 ** 31 - 1)),
      frame(T.WINDOW_UPDATE, 0, 1, u32(2 ** 31 - 1)),
    ],
    expect: { stream: E.FLOW_CONTROL_ERROR, id: 1 },
  },
  {
    rfc: '6.9.2',
    name: 'INITIAL_WINDOW_SIZE pushing a stream window above 2^31-1: FLOW_CONTROL_ERROR',
    send: () => [settings([[4, 0]]), headers(1, request('/1k')), frame(T.WINDOW_UPDATE, 0, 1, u32(2 ** 31 - 1)), settings([[4, 10]])],
    expect: { conn: E.FLOW_CONTROL_ERROR },
  },
  // 6.10 CONTINUATION
  {
    rfc: '6.10',
    name: 'HEADERS without END_HEADERS then another frame: PROTOCOL_ERROR',
    send: () => [frame(T.HEADERS, F.END_STREAM, 1, block(request('/'))), frame(T.PING, 0, 0, ping8)],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '6.10',
    name: 'CONTINUATION on another stream: PROTOCOL_ERROR',
    send: () => [frame(T.HEADERS, F.END_STREAM, 1, block(request('/'))), frame(T.CONTINUATION, F.END_HEADERS, 3, Buffer.alloc(0))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '6.10',
    name: 'a block split over CONTINUATION frames is served',
    send: () => {
      const b = block(request('/1k'));
      return [
        frame(T.HEADERS, F.END_STREAM, 1, b.subarray(0, 5)),
        frame(T.CONTINUATION, 0, 1, b.subarray(5, 12)),
        frame(T.CONTINUATION, F.END_HEADERS, 1, b.subarray(12)),
      ];
    },
    expect: { status: '200', id: 1 },
  },
  {
    rfc: '6.10',
    name: 'CONTINUATION on stream 0: PROTOCOL_ERROR',
    send: () => [frame(T.HEADERS, F.END_STREAM, 1, block(request('/'))), frame(T.CONTINUATION, F.END_HEADERS, 0, Buffer.alloc(0))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '6.10',
    name: 'CONTINUATION after DATA: PROTOCOL_ERROR',
    send: () => [
      headers(1, request('/1k', [], 'POST'), F.END_HEADERS),
      frame(T.DATA, 0, 1, [1]),
      frame(T.CONTINUATION, F.END_HEADERS, 1, block([['x', 'y']])),
    ],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '6.2',
    name: 'HEADERS without END_HEADERS then PRIORITY: PROTOCOL_ERROR',
    send: () => [
      frame(T.HEADERS, F.END_STREAM, 1, block(request('/'))),
      frame(T.PRIORITY, 0, 1, Buffer.concat([u32(0), Buffer.from([15])])),
    ],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  // 8.1 / 8.2 / 8.3 HTTP messages
  {
    rfc: '8.2',
    name: 'upper-case field name: PROTOCOL_ERROR',
    send: () => [headers(1, request('/', [['X-Upper', 'a']]))],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.2.2',
    name: 'connection-specific field: PROTOCOL_ERROR',
    send: () => [headers(1, request('/', [['connection', 'keep-alive']]))],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.2.2',
    name: 'TE other than trailers: PROTOCOL_ERROR',
    send: () => [headers(1, request('/', [['te', 'gzip']]))],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.3',
    name: 'unknown pseudo-header: PROTOCOL_ERROR',
    send: () => [headers(1, request('/', [[':foo', 'bar']]))],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.3',
    name: 'response pseudo-header in a request: PROTOCOL_ERROR',
    send: () => [headers(1, request('/', [[':status', '200']]))],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.3',
    name: 'pseudo-header after a regular field: PROTOCOL_ERROR',
    send: () => [
      headers(1, [
        [':method', 'GET'],
        [':scheme', 'http'],
        ['x', 'y'],
        [':path', '/'],
      ]),
    ],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.3.1',
    name: 'missing :method: PROTOCOL_ERROR',
    send: () => [
      headers(1, [
        [':scheme', 'http'],
        [':path', '/'],
      ]),
    ],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.3.1',
    name: 'missing :path: PROTOCOL_ERROR',
    send: () => [
      headers(1, [
        [':method', 'GET'],
        [':scheme', 'http'],
      ]),
    ],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.3.1',
    name: 'empty :path: PROTOCOL_ERROR',
    send: () => [
      headers(1, [
        [':method', 'GET'],
        [':scheme', 'http'],
        [':path', ''],
      ]),
    ],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.3.1',
    name: 'duplicated :method: PROTOCOL_ERROR',
    send: () => [
      headers(1, [
        [':method', 'GET'],
        [':method', 'GET'],
        [':scheme', 'http'],
        [':path', '/'],
      ]),
    ],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.3.1',
    name: 'duplicated :path: PROTOCOL_ERROR',
    send: () => [
      headers(1, [
        [':method', 'GET'],
        [':scheme', 'http'],
        [':path', '/'],
        [':path', '/'],
      ]),
    ],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.1',
    name: 'pseudo-header in trailers: PROTOCOL_ERROR',
    send: () => [headers(1, request('/1k', [], 'POST'), F.END_HEADERS), frame(T.DATA, 0, 1, [1]), headers(1, [[':path', '/']])],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.1',
    name: 'trailers without END_STREAM: PROTOCOL_ERROR',
    send: () => [headers(1, request('/1k', [], 'POST'), F.END_HEADERS), frame(T.DATA, 0, 1, [1]), headers(1, [['x', 'y']], F.END_HEADERS)],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.1.1',
    name: 'content-length not matching the DATA: PROTOCOL_ERROR',
    send: () => [headers(1, request('/1k', [['content-length', '3']], 'POST'), F.END_HEADERS), frame(T.DATA, F.END_STREAM, 1, [1])],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '6.10',
    name: 'CONTINUATION after END_HEADERS: PROTOCOL_ERROR',
    send: () => [headers(1, request('/100k')), frame(T.CONTINUATION, F.END_HEADERS, 1, block([['x', 'y']]))],
    expect: { conn: E.PROTOCOL_ERROR },
  },
  {
    rfc: '8.1.1',
    name: 'END_STREAM on HEADERS with a non-zero content-length: PROTOCOL_ERROR',
    send: () => [headers(1, request('/1k', [['content-length', '5']], 'POST'))],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.2.1',
    name: 'a field value with CR/LF: PROTOCOL_ERROR',
    send: () => [headers(1, request('/', [['x-bad', 'a\r\nb']]))],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.2.1',
    name: 'a field value with NUL: PROTOCOL_ERROR',
    send: () => [headers(1, request('/', [['x-bad', 'a\x00b']]))],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.2.1',
    name: 'a field name with a space: PROTOCOL_ERROR',
    send: () => [headers(1, request('/', [['x bad', 'a']]))],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.3.1',
    name: 'missing :scheme: PROTOCOL_ERROR',
    send: () => [
      headers(1, [
        [':method', 'GET'],
        [':path', '/'],
        [':authority', 'x'],
      ]),
    ],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  {
    rfc: '8.5',
    name: 'CONNECT without :authority: PROTOCOL_ERROR',
    send: () => [headers(1, [[':method', 'CONNECT']], F.END_HEADERS)],
    expect: { stream: E.PROTOCOL_ERROR, id: 1 },
  },
  // RFC 7541
  {
    rfc: '7541 2.3.3',
    name: 'index 0: COMPRESSION_ERROR',
    send: () => [headers(1, Buffer.from([0x80]))],
    expect: { conn: E.COMPRESSION_ERROR },
  },
  {
    rfc: '7541 2.3.3',
    name: 'index past the tables: COMPRESSION_ERROR',
    send: () => [headers(1, Buffer.from(hpackInt(0x80, 7, 70)))],
    expect: { conn: E.COMPRESSION_ERROR },
  },
  {
    rfc: '7541 4.2',
    name: 'table size update above SETTINGS_HEADER_TABLE_SIZE: COMPRESSION_ERROR',
    send: () => [headers(1, Buffer.concat([Buffer.from(hpackInt(0x20, 5, 8192)), block(request('/'))]))],
    expect: { conn: E.COMPRESSION_ERROR },
  },
  {
    rfc: '7541 4.2',
    name: 'table size update after a field: COMPRESSION_ERROR',
    send: () => [headers(1, Buffer.concat([block(request('/')), Buffer.from(hpackInt(0x20, 5, 0))]))],
    expect: { conn: E.COMPRESSION_ERROR },
  },
  {
    rfc: '7541 5.1',
    name: 'an integer that overflows: COMPRESSION_ERROR',
    send: () => [headers(1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))],
    expect: { conn: E.COMPRESSION_ERROR },
  },
  {
    rfc: '7541 5.2',
    name: 'a string longer than the block: COMPRESSION_ERROR',
    send: () => [headers(1, Buffer.concat([Buffer.from([0x82, 0x86, 0x84, 0x00, 0x64]), Buffer.from('abc')]))],
    expect: { conn: E.COMPRESSION_ERROR },
  },
  {
    rfc: '7541 4.2',
    name: 'a table size update within the limit is accepted',
    send: () => [headers(1, Buffer.concat([Buffer.from(hpackInt(0x20, 5, 0)), block(request('/1k'))]))],
    expect: { status: '200', id: 1 },
  },
  {
    rfc: '7541 5.2',
    name: 'Huffman string with EOS: COMPRESSION_ERROR',
    send: () => [headers(1, Buffer.from([0x00, 0x85, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x61]))],
    expect: { conn: E.COMPRESSION_ERROR },
  },
  {
    rfc: '7541 5.2',
    name: 'Huffman padding longer than 7 bits: COMPRESSION_ERROR',
    send: () => [headers(1, Buffer.from([0x00, 0x82, 0x1f, 0xff, 0x01, 0x61]))],
    expect: { conn: E.COMPRESSION_ERROR },
  },
];

let root: string;
let h2c: NghttpdServer;
let h2: NghttpdServer;
test.before(async () => {
  root = makeDocroot();
  h2c = await startServer(['-d', root]);
  h2 = await startServer(['-d', root], { tls: true });
});
test.after.always(async () => {
  await Promise.all([h2c?.close(), h2?.close()]);
  fs.rmSync(root, { recursive: true, force: true });
});

async function check(t: import('ava').ExecutionContext, c: RawClient, e: Expect): Promise<void> {
  if ('conn' in e) {
    const ok = await c.until(() => c.goaway() !== undefined);
    t.true(ok, 'a GOAWAY arrives');
    t.is(c.goaway()?.errorCode, e.conn, 'GOAWAY error code');
    t.true(await c.until(() => c.closed), 'the connection is closed');
  } else if ('stream' in e) {
    const ok = await c.until(() => c.rst(e.id) !== undefined || c.goaway() !== undefined);
    t.true(ok, 'RST_STREAM or GOAWAY arrives');
    const code = c.rst(e.id) ?? c.goaway()?.errorCode;
    t.is(code, e.stream, 'error code');
  } else if ('noGoaway' in e) {
    await c.until(() => c.goaway() !== undefined, 300);
    const g = c.goaway();
    t.true(g === undefined || g.errorCode === E.NO_ERROR, `GOAWAY ${g?.errorCode}`);
  } else if ('ping' in e) {
    c.send(frame(T.PING, 0, 0, Buffer.from('pingpong')));
    const ok = await c.until(() => c.frames.some((f) => f.type === T.PING && f.flags & F.ACK && f.payload.toString() === 'pingpong'));
    t.true(ok, 'PING answered');
    t.is(c.goaway(), undefined);
  } else {
    t.true(await c.until(() => c.body(e.id).ended), 'response complete');
    t.is(c.status(e.id), e.status);
  }
}

// Rows run one after another: ~180 simultaneous connections (half of them TLS handshakes) each
// bounded by a 5 s wait once timed out on a shared machine under heavy load.
for (const [label, secure] of [
  ['h2c', false],
  ['TLS', true],
] as const) {
  for (const r of rows) {
    test.serial(`${label} RFC ${r.rfc}: ${r.name}`, async (t) => {
      const c = await RawClient.connect(secure ? h2.port : h2c.port, { tls: secure });
      try {
        c.send(SETTINGS_ACK, ...r.send());
        await check(t, c, r.expect);
      } finally {
        c.close();
      }
    });
  }
}

test('h2c RFC 3.4: a bad connection preface closes the connection', async (t) => {
  const c = await RawClient.connect(h2c.port, { handshake: false });
  c.send(Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n'));
  t.true(await c.until(() => c.closed));
  c.close();
});

test('h2c RFC 6.5.3: SETTINGS are acknowledged; 6.7: PING ACK echoes the payload and ACKs are not answered', async (t) => {
  const c = await RawClient.connect(h2c.port);
  c.send(settings([[3, 10]]), frame(T.PING, F.ACK, 0, ping8), frame(T.PING, 0, 0, Buffer.from('12345678')));
  t.true(await c.until(() => c.frames.filter((f) => f.type === T.SETTINGS && f.flags & F.ACK).length >= 2 && c.find(T.PING) !== undefined));
  const pings = c.frames.filter((f) => f.type === T.PING);
  t.is(pings.length, 1);
  t.is(pings[0].payload.toString(), '12345678');
  t.true((pings[0].flags & F.ACK) !== 0);
  // The server's first frame is its SETTINGS (RFC 9113 3.4).
  t.is(c.frames[0].type, T.SETTINGS);
  t.is(c.frames[0].flags & F.ACK, 0);
  c.close();
});

test('h2c RFC 5.1.2: streams beyond SETTINGS_MAX_CONCURRENT_STREAMS are refused', async (t) => {
  const s = await startServer(['-d', root, '-m', '2', '-w', '0']);
  const c = await RawClient.connect(s.port);
  try {
    // A zero window keeps the first streams open while more arrive.
    c.send(SETTINGS_ACK, settings([[4, 0]]), GET(1, '/100k'), GET(3, '/100k'), GET(5, '/100k'));
    t.true(await c.until(() => c.rst(5) !== undefined || c.goaway() !== undefined));
    const code = c.rst(5) ?? c.goaway()?.errorCode;
    t.true(code === E.REFUSED_STREAM || code === E.PROTOCOL_ERROR, `code ${code}`);
  } finally {
    c.close();
    await s.close();
  }
});

test('h2c RFC 6.9: DATA beyond the advertised window: FLOW_CONTROL_ERROR', async (t) => {
  const s = await startServer(['-d', root, '-w', '10', '--echo-upload']);
  const c = await RawClient.connect(s.port);
  try {
    c.send(SETTINGS_ACK, headers(1, request('/x', [], 'POST'), F.END_HEADERS));
    // Wait for our window (1023) to be acknowledged before overrunning it.
    await c.until(() => c.frames.some((f) => f.type === T.SETTINGS && f.flags & F.ACK));
    c.send(frame(T.DATA, 0, 1, Buffer.alloc(1024)), frame(T.DATA, 0, 1, Buffer.alloc(1024)));
    t.true(await c.until(() => c.rst(1) !== undefined || c.goaway() !== undefined));
    t.is(c.rst(1) ?? c.goaway()?.errorCode, E.FLOW_CONTROL_ERROR);
  } finally {
    c.close();
    await s.close();
  }
});

test('h2c RFC 6.9.1/6.9.2: windows of 1, windows changed by SETTINGS, and negative windows are honoured', async (t) => {
  const dataOn = (c: RawClient, id: number) => c.frames.filter((f) => f.type === T.DATA && f.streamId === id);
  // Window 1: the first DATA frame carries exactly one octet.
  const a = await RawClient.connect(h2c.port, { handshake: false });
  try {
    a.send(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), settings([[4, 1]]), SETTINGS_ACK, GET(1));
    t.true(await a.until(() => dataOn(a, 1).length > 0));
    t.is(dataOn(a, 1)[0].payload.length, 1);
  } finally {
    a.close();
  }
  // Window 0, then SETTINGS raises it: DATA starts flowing.
  const b = await RawClient.connect(h2c.port, { handshake: false });
  try {
    b.send(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), settings([[4, 0]]), SETTINGS_ACK, GET(1));
    t.true(await b.until(() => b.find(T.HEADERS, 1) !== undefined));
    await expectQuietFor(100, () => (dataOn(b, 1).length > 0 ? 'DATA' : undefined));
    t.is(dataOn(b, 1).length, 0, 'nothing while the window is 0');
    b.send(settings([[4, 100]]));
    t.true(await b.until(() => dataOn(b, 1).length > 0));
    t.is(
      dataOn(b, 1).reduce((n, f) => n + f.payload.length, 0),
      100,
    );
  } finally {
    b.close();
  }
  // Window 100 spent, SETTINGS lowers it to 50 (the window goes to -50), then +60 makes 10 more.
  const c = await RawClient.connect(h2c.port, { handshake: false });
  try {
    c.send(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), settings([[4, 100]]), SETTINGS_ACK, GET(1));
    t.true(await c.until(() => dataOn(c, 1).reduce((n, f) => n + f.payload.length, 0) >= 100));
    c.send(settings([[4, 50]]), frame(T.WINDOW_UPDATE, 0, 1, u32(60)));
    t.true(await c.until(() => dataOn(c, 1).reduce((n, f) => n + f.payload.length, 0) >= 110));
    await expectQuietFor(100, () => (dataOn(c, 1).reduce((n, f) => n + f.payload.length, 0) > 110 ? 'DATA past the window' : undefined));
    t.is(
      dataOn(c, 1).reduce((n, f) => n + f.payload.length, 0),
      110,
    );
    t.is(c.goaway(), undefined);
  } finally {
    c.close();
  }
});
