import test from 'ava';
import fc from 'fast-check';
import { ErrorCode } from '../../../lib/protocol/errors';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame } from '../../../lib/protocol/frame/types';
import { endpoint, RawPeer, req } from './harness';

const { PROTOCOL_ERROR: PE, STREAM_CLOSED: SC } = ErrorCode;
type Outcome = 'ok' | ['stream' | 'conn', number];

/** Put a server's stream into a state, through the wire and the API only. Returns the stream id under test. */
const setups: Record<string, (p: RawPeer) => number> = {
  idle: () => 1,
  open: (p) => (p.headers(1, req('/', 'POST')), 1),
  'half-closed (remote)': (p) => (p.headers(1, req('/'), true), 1),
  'half-closed (local)': (p) => {
    p.headers(1, req('/', 'POST'));
    p.session.respond(1, [[':status', '200']], { endStream: true });
    return 1;
  },
  'closed (END_STREAM both ways)': (p) => {
    p.headers(1, req('/'), true);
    p.session.respond(1, [[':status', '200']], { endStream: true });
    return 1;
  },
  'closed (we reset)': (p) => (p.headers(1, req('/', 'POST')), p.session.reset(1), 1),
  'closed (peer reset)': (p) => {
    p.headers(1, req('/', 'POST'));
    p.send({ type: FrameType.RST_STREAM, flags: 0, streamId: 1, errorCode: 8 } as Frame);
    return 1;
  },
  'reserved (local)': (p) => {
    p.headers(1, req('/'), true);
    return p.session.push(1, req('/pushed'));
  },
};

const frames: Record<string, (p: RawPeer, id: number) => void> = {
  DATA: (p, id) => p.data(id, 'abc'),
  'HEADERS (trailers)': (p, id) => p.headers(id, [['x-trailer', '1']], true),
  PRIORITY: (p, id) =>
    p.send({ type: FrameType.PRIORITY, flags: 0, streamId: id, priority: { exclusive: false, dependsOn: 0, weight: 16 } } as Frame),
  RST_STREAM: (p, id) => p.send({ type: FrameType.RST_STREAM, flags: 0, streamId: id, errorCode: 8 } as Frame),
  WINDOW_UPDATE: (p, id) => p.send({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: id, windowSizeIncrement: 1 } as Frame),
  PUSH_PROMISE: (p, id) =>
    p.send({
      type: FrameType.PUSH_PROMISE,
      flags: Flag.END_HEADERS,
      streamId: id,
      promisedStreamId: 4,
      fragment: p.enc.encode(req('/x')),
    } as Frame),
  CONTINUATION: (p, id) =>
    p.send({ type: FrameType.CONTINUATION, flags: Flag.END_HEADERS, streamId: id, fragment: Buffer.alloc(0) } as Frame),
};

/** RFC 9113 section 5.1, written out independently of the implementation's table. */
const expected: Record<string, Record<string, Outcome>> = {
  idle: { DATA: ['conn', PE], 'HEADERS (trailers)': ['stream', PE], PRIORITY: 'ok', RST_STREAM: ['conn', PE], WINDOW_UPDATE: ['conn', PE] },
  open: { DATA: 'ok', 'HEADERS (trailers)': 'ok', PRIORITY: 'ok', RST_STREAM: 'ok', WINDOW_UPDATE: 'ok' },
  'half-closed (remote)': {
    DATA: ['stream', SC],
    'HEADERS (trailers)': ['stream', SC],
    PRIORITY: 'ok',
    RST_STREAM: 'ok',
    WINDOW_UPDATE: 'ok',
  },
  'half-closed (local)': { DATA: 'ok', 'HEADERS (trailers)': 'ok', PRIORITY: 'ok', RST_STREAM: 'ok', WINDOW_UPDATE: 'ok' },
  'closed (END_STREAM both ways)': {
    DATA: ['conn', SC],
    'HEADERS (trailers)': ['conn', SC],
    PRIORITY: 'ok',
    RST_STREAM: 'ok',
    WINDOW_UPDATE: 'ok',
  },
  'closed (we reset)': { DATA: 'ok', 'HEADERS (trailers)': 'ok', PRIORITY: 'ok', RST_STREAM: 'ok', WINDOW_UPDATE: 'ok' },
  'closed (peer reset)': {
    DATA: ['stream', SC],
    'HEADERS (trailers)': ['stream', SC],
    PRIORITY: 'ok',
    RST_STREAM: 'ok',
    WINDOW_UPDATE: ['stream', SC],
  },
  'reserved (local)': { DATA: ['conn', PE], 'HEADERS (trailers)': ['conn', PE], PRIORITY: 'ok', RST_STREAM: 'ok', WINDOW_UPDATE: 'ok' },
};
// A server receiving PUSH_PROMISE, or a CONTINUATION outside a field block, is always a connection PROTOCOL_ERROR.
for (const s of Object.keys(expected)) {
  expected[s].PUSH_PROMISE = ['conn', PE];
  expected[s].CONTINUATION = ['conn', PE];
}

function run(state: string, frame: string): Outcome {
  const ep = endpoint('server');
  const peer = new RawPeer(ep.session, 'client').preface();
  const id = setups[state](peer);
  peer.read();
  frames[frame](peer, id);
  const out = peer.read();
  const g = out.find((f) => f.type === FrameType.GOAWAY) as any;
  if (g) return ['conn', g.errorCode];
  const r = out.find((f) => f.type === FrameType.RST_STREAM && f.streamId === id) as any;
  if (r) return ['stream', r.errorCode];
  return 'ok';
}

test('state x frame: every cell of RFC 9113 section 5.1 gives the right outcome and scope', (t) => {
  for (const state of Object.keys(setups)) {
    for (const frame of Object.keys(frames)) {
      t.deepEqual(run(state, frame), expected[state][frame], `${frame} in ${state}`);
    }
  }
});

test('fast-check: random frame sequences never throw, and every error is a GOAWAY or RST_STREAM with a known code', (t) => {
  const frameArb = fc.record({
    kind: fc.constantFrom(...Object.keys(frames), 'HEADERS (request)', 'SETTINGS', 'PING', 'GOAWAY'),
    id: fc.integer({ min: 1, max: 9 }),
  });
  fc.assert(
    fc.property(fc.array(frameArb, { maxLength: 25 }), (seq) => {
      const ep = endpoint('server', {}, (ev, s) => {
        if (ev.type === 'requestReceived' && ev.streamId % 4 === 1) s.respond(ev.streamId, [[':status', '200']], { endStream: true });
      });
      const peer = new RawPeer(ep.session, 'client').preface();
      for (const { kind, id } of seq) {
        if (kind === 'HEADERS (request)') peer.headers(id, req('/'), id % 3 === 0);
        else if (kind === 'SETTINGS')
          peer.send({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [{ id: 4, value: id * 1000 }] } as Frame);
        else if (kind === 'PING') peer.send({ type: FrameType.PING, flags: 0, streamId: 0, opaqueData: Buffer.alloc(8, id) } as Frame);
        else if (kind === 'GOAWAY')
          peer.send({ type: FrameType.GOAWAY, flags: 0, streamId: 0, lastStreamId: 0, errorCode: 0, debugData: Buffer.alloc(0) } as Frame);
        else frames[kind](peer, id);
        for (const f of peer.read()) {
          if (f.type === FrameType.GOAWAY || f.type === FrameType.RST_STREAM) {
            const code = (f as any).errorCode;
            if (!(code >= 0 && code <= 0xd)) return false;
          }
        }
      }
      const term = ep.events.filter((e) => e.type === 'connectionTerminated');
      return term.length <= 1 && (term.length === 0 || ep.session.closed);
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('fuzz: random bytes after the preface never throw out of receive() and never hang', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, asClient) => {
      const ep = endpoint(asClient ? 'client' : 'server');
      const peer = new RawPeer(ep.session, asClient ? 'server' : 'client').preface();
      ep.session.receive(Buffer.from(bytes));
      ep.session.receiveEnd();
      peer.read();
      return ep.session.closed;
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('fuzz: well-framed random frames (any type, flags, stream, payload) never throw and end alive or with one GOAWAY', (t) => {
  const frameArb = fc.record({
    type: fc.integer({ min: 0, max: 16 }),
    flags: fc.integer({ min: 0, max: 255 }),
    stream: fc.integer({ min: 0, max: 9 }),
    payload: fc.uint8Array({ maxLength: 24 }),
  });
  fc.assert(
    fc.property(fc.array(frameArb, { maxLength: 30 }), fc.boolean(), (frames, asClient) => {
      const ep = endpoint(asClient ? 'client' : 'server', {}, (ev, s) => {
        if (ev.type === 'requestReceived') s.respond(ev.streamId, [[':status', '200']], { endStream: true });
      });
      if (asClient) ep.session.request(req('/'), { endStream: false });
      const peer = new RawPeer(ep.session, asClient ? 'server' : 'client').preface();
      for (const f of frames) {
        const b = Buffer.alloc(9 + f.payload.length);
        b.writeUIntBE(f.payload.length, 0, 3);
        b[3] = f.type;
        b[4] = f.flags;
        b.writeUInt32BE(f.stream, 5);
        Buffer.from(f.payload).copy(b, 9);
        ep.session.receive(b);
      }
      const out = peer.read();
      const goaways = out.filter((f) => f.type === FrameType.GOAWAY).length;
      return goaways <= 1 && (goaways === 0 || ep.session.closed);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('frame-local stream errors (PRIORITY of bad length, WINDOW_UPDATE of 0) reset only that stream', (t) => {
  const ep = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived' && ev.streamId === 5) s.respond(5, [[':status', '200']], { endStream: true });
  });
  const peer = new RawPeer(ep.session, 'client').preface();
  peer.headers(1, req('/', 'POST'));
  peer.headers(3, req('/', 'POST'));
  const bad = Buffer.from([0, 0, 4, FrameType.PRIORITY, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  const zeroWu = Buffer.from([0, 0, 4, FrameType.WINDOW_UPDATE, 0, 0, 0, 0, 3, 0, 0, 0, 0]);
  peer.bytes(Buffer.concat([bad, zeroWu]));
  peer.headers(5, req('/'), true);
  const out = peer.read();
  const rst = out.filter((f) => f.type === FrameType.RST_STREAM).map((f: any) => [f.streamId, f.errorCode]);
  t.deepEqual(rst, [
    [1, 6],
    [3, 1],
  ]);
  t.truthy(out.find((f) => f.type === FrameType.HEADERS && f.streamId === 5));
  t.false(ep.session.closed);
});
