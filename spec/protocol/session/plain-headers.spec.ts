import test from 'ava';
import { Deframer } from '../../../lib/protocol/frame/deframer';
import type { Frame } from '../../../lib/protocol/frame/types';
import { Session } from '../../../lib/protocol/session/session';
import type { SessionEvent } from '../../../lib/protocol/session/types';
import { block, F, frame, headers, PREFACE, request, settings, T } from '../../helpers/wire';

// Plain HEADERS (END_HEADERS, no padding, no priority) reach a session without frame events as a
// range of the read chunk (DeframerOptions.onHeaders, FrameReader): no frame object, no view for a
// repeated block. Whatever the path, the session must behave the same: these scripts run through
// a server with frame events on (every HEADERS parsed into a frame) and off, whole and split at
// every offset, and compare the application events and every octet the server writes.

const ACK = settings([], F.ACK);
const req = block(request('/a'));
/** A HEADERS frame with PADDED (2 pad octets) carrying `b`. */
const padded = (id: number, b: Buffer) =>
  frame(T.HEADERS, F.END_STREAM | F.END_HEADERS | F.PADDED, id, Buffer.concat([Buffer.from([2]), b, Buffer.alloc(2)]));
/** A HEADERS frame with PRIORITY (on stream 0, weight 16) carrying `b`. */
const prio = (id: number, b: Buffer) =>
  frame(T.HEADERS, F.END_STREAM | F.END_HEADERS | F.PRIORITY, id, Buffer.concat([Buffer.from([0, 0, 0, 0, 15]), b]));

const SCRIPTS: Record<string, Buffer[]> = {
  'requests, the same block repeated, then trailers': [
    PREFACE,
    settings([]),
    ACK,
    headers(1, req),
    headers(3, req),
    headers(5, req),
    headers(7, block(request('/post', [], 'POST')), F.END_HEADERS),
    frame(T.DATA, 0, 7, Buffer.from('body')),
    headers(7, block([['x-trailer', '1']])),
  ],
  'padded, priority, CONTINUATION and plain HEADERS mixed': [
    PREFACE,
    settings([]),
    padded(1, req),
    prio(3, req),
    headers(5, req.subarray(0, 5), F.END_STREAM),
    frame(T.CONTINUATION, F.END_HEADERS, 5, req.subarray(5)),
    headers(7, req),
  ],
  'a plain HEADERS inside an open field block: PROTOCOL_ERROR': [
    PREFACE,
    settings([]),
    headers(1, req.subarray(0, 5), F.END_STREAM),
    headers(3, req),
  ],
  'a plain HEADERS before the peer SETTINGS: preface error': [PREFACE, headers(1, req)],
  'a plain HEADERS on stream 0: PROTOCOL_ERROR': [PREFACE, settings([]), headers(0, req)],
  'a malformed block (index 0): COMPRESSION_ERROR': [PREFACE, settings([]), headers(1, Buffer.from([0x80]))],
  'a request missing :path: the stream is reset, the next one served': [
    PREFACE,
    settings([]),
    headers(
      1,
      block([
        [':method', 'GET'],
        [':scheme', 'http'],
      ]),
    ),
    headers(3, req),
  ],
};

/** Run `chunks` into a server session; the application events (JSON) and every octet it wrote. */
function run(chunks: Buffer[], frameEvents: boolean): { events: string; out: string } {
  const events: SessionEvent[] = [];
  const out: Buffer[] = [];
  const server = new Session({ role: 'server', frameEvents, onEvent: (ev) => void events.push(ev) });
  const answer = () => {
    for (const ev of events.splice(0)) {
      if (ev.type === 'frameSent' || ev.type === 'frameReceived') continue;
      apps.push(ev);
      if (ev.type === 'requestReceived' && !server.closed && server.isStreamOpen(ev.streamId)) {
        server.respond(ev.streamId, [[':status', '200']], { endStream: true });
      }
    }
    const b = server.dataToSend();
    if (b) out.push(Buffer.from(b));
  };
  const apps: SessionEvent[] = [];
  for (const c of chunks) {
    server.receive(c);
    answer();
  }
  return { events: JSON.stringify(apps), out: Buffer.concat(out).toString('hex') };
}

for (const [name, chunks] of Object.entries(SCRIPTS)) {
  test(`same events and output with and without frame events: ${name}`, (t) => {
    const want = run(chunks, true);
    t.deepEqual(run(chunks, false), want);
    // Split at every offset (frames gathered across reads, the pending-frame path).
    const all = Buffer.concat(chunks);
    for (let i = 1; i < all.length; i++) {
      const got = run([all.subarray(0, i), all.subarray(i)], false);
      const ref = run([all.subarray(0, i), all.subarray(i)], true);
      if (got.events !== ref.events || got.out !== ref.out) return t.fail(`split at ${i}`);
    }
  });
}

test('Deframer onHeaders: offered plain HEADERS only; false hands the frame to emit', (t) => {
  const offered: [number, number, string][] = [];
  const emitted: Frame[] = [];
  const bytes = Buffer.concat([
    headers(1, req),
    padded(3, req),
    prio(5, req),
    headers(7, req.subarray(0, 3), F.END_STREAM),
    headers(9, req),
  ]);
  const d = new Deframer({
    onHeaders: (id, flags, buf, start, end) => {
      offered.push([id, flags, buf.subarray(start, end).toString('hex')]);
      return id !== 9;
    },
  });
  d.push(bytes, (f) => void emitted.push(f));
  t.deepEqual(offered, [
    [1, F.END_STREAM | F.END_HEADERS, req.toString('hex')],
    [9, F.END_STREAM | F.END_HEADERS, req.toString('hex')],
  ]);
  t.deepEqual(
    emitted.map((f) => f.streamId),
    [3, 5, 7, 9],
  );
});
