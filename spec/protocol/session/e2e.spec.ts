import test from 'ava';
import { endpoint, pump, RawPeer, req } from './harness';
import { FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame } from '../../../lib/protocol/frame/types';
import type { SessionEvent } from '../../../lib/protocol/session/types';

test('client and server exchange a request and a response with a body', (t) => {
  const server = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') {
      s.respond(ev.streamId, [
        [':status', '200'],
        ['content-length', '5'],
      ]);
      s.sendData(ev.streamId, Buffer.from('hello'), true);
    }
  });
  const body: Buffer[] = [];
  const client = endpoint('client', {}, (ev, s) => {
    if (ev.type === 'dataReceived') {
      body.push(ev.data);
      s.consume(ev.streamId, ev.data.length);
    }
  });
  const id = client.session.request(req('/'), { endStream: true });
  pump(client.session, server.session);
  t.is(id, 1);
  t.is(Buffer.concat(body).toString(), 'hello');
  const types = client.app().map((e: SessionEvent) => e.type);
  t.deepEqual(types, ['settingsReceived', 'settingsAcknowledged', 'responseReceived', 'dataReceived', 'streamEnded', 'streamClosed']);
  t.deepEqual(
    server
      .app()
      .map((e) => e.type)
      .filter((x) => x.startsWith('stream') || x === 'requestReceived'),
    ['requestReceived', 'streamEnded', 'streamClosed'],
  );
});

/** A server that echoes the request body back, with trailers when asked. */
function echoServer(opts: Parameters<typeof endpoint>[1] = {}) {
  const bodies = new Map<number, Buffer[]>();
  return endpoint('server', opts, (ev, s) => {
    if (ev.type === 'requestReceived') {
      bodies.set(ev.streamId, []);
      if (ev.endStream) {
        s.respond(ev.streamId, [[':status', '200']], { endStream: true });
      }
    } else if (ev.type === 'dataReceived') {
      bodies.get(ev.streamId)!.push(Buffer.from(ev.data));
      s.consume(ev.streamId, ev.data.length);
      if (ev.endStream) {
        const body = Buffer.concat(bodies.get(ev.streamId)!);
        s.respond(ev.streamId, [[':status', '200']]);
        s.sendData(ev.streamId, body);
        s.sendTrailers(ev.streamId, [['x-length', String(body.length)]]);
      }
    }
  });
}

function collectingClient(opts: Parameters<typeof endpoint>[1] = {}) {
  const bodies = new Map<number, Buffer[]>();
  const ep = endpoint('client', opts, (ev, s) => {
    if (ev.type === 'dataReceived') {
      (bodies.get(ev.streamId) ?? bodies.set(ev.streamId, []).get(ev.streamId)!).push(Buffer.from(ev.data));
      s.consume(ev.streamId, ev.data.length);
    }
  });
  return { ...ep, body: (id: number) => Buffer.concat(bodies.get(id) ?? []) };
}

test('large bodies both ways through small windows, with trailers', (t) => {
  const server = echoServer({ settings: { initialWindowSize: 1000 } });
  const client = collectingClient({ settings: { initialWindowSize: 700, maxFrameSize: 16384 } });
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  const id = client.session.request(req('/echo', 'POST'));
  client.session.sendData(id, big, true);
  pump(client.session, server.session);
  t.true(client.body(id).equals(big));
  const trailers = client.events.find((e) => e.type === 'trailersReceived');
  t.deepEqual(trailers && (trailers as any).headers, [['x-length', '300000']]);
  t.is(client.session.streamCount, 0);
  t.is(server.session.streamCount, 0);
});

test('the client queues requests beyond MAX_CONCURRENT_STREAMS and sends them as slots free', (t) => {
  let maxOpen = 0;
  const server = endpoint('server', { settings: { maxConcurrentStreams: 3 } }, (ev, s) => {
    if (ev.type === 'requestReceived') {
      maxOpen = Math.max(maxOpen, s.streamCount);
      s.respond(ev.streamId, [[':status', '204']], { endStream: true });
    }
  });
  const client = collectingClient();
  pump(client.session, server.session); // settings exchange first
  const ids = Array.from({ length: 20 }, (_, i) => client.session.request(req(`/${i}`), { endStream: true }));
  pump(client.session, server.session);
  t.deepEqual(
    ids,
    Array.from({ length: 20 }, (_, i) => 2 * i + 1),
  );
  t.true(maxOpen <= 3);
  t.is(client.events.filter((e) => e.type === 'responseReceived').length, 20);
  t.false(server.events.some((e) => e.type === 'streamReset'));
});

test('server push: PUSH_PROMISE, then the pushed response, when the client allows it', (t) => {
  const server = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') {
      const pid = s.push(ev.streamId, req('/style.css'));
      s.respond(ev.streamId, [[':status', '200']]);
      s.sendData(ev.streamId, Buffer.from('<html>'), true);
      s.respond(pid, [
        [':status', '200'],
        ['content-length', '4'],
      ]);
      s.sendData(pid, Buffer.from('body'), true);
    }
  });
  const client = collectingClient();
  const id = client.session.request(req('/'), { endStream: true });
  pump(client.session, server.session);
  const pp = client.events.find((e) => e.type === 'pushPromiseReceived') as any;
  t.is(pp.streamId, id);
  t.is(pp.promisedStreamId, 2);
  t.is(client.body(1).toString(), '<html>');
  t.is(client.body(2).toString(), 'body');
  t.is(client.session.streamCount, 0);
});

test('push() throws when the client disabled push', (t) => {
  let err: unknown;
  const server = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') {
      try {
        s.push(ev.streamId, req('/x'));
      } catch (e) {
        err = e;
      }
      s.respond(ev.streamId, [[':status', '200']], { endStream: true });
    }
  });
  const client = collectingClient({ settings: { enablePush: false } });
  client.session.request(req('/'), { endStream: true });
  pump(client.session, server.session);
  t.is((err as Error)?.name, 'ApiMisuseError');
});

test('1xx informational responses precede the final one', (t) => {
  const server = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') {
      s.respond(ev.streamId, [
        [':status', '103'],
        ['link', '</a.css>; rel=preload'],
      ]);
      s.respond(ev.streamId, [[':status', '200']], { endStream: true });
    }
  });
  const client = collectingClient();
  client.session.request(req('/'), { endStream: true });
  pump(client.session, server.session);
  const rs = client.events.filter((e) => e.type === 'responseReceived') as any[];
  t.deepEqual(
    rs.map((r) => [r.headers[0][1], r.informational]),
    [
      ['103', true],
      ['200', false],
    ],
  );
});

test('graceful shutdown: in-flight streams finish, then both sides terminate', (t) => {
  let pending: number[] = [];
  const server = endpoint('server', {}, (ev) => {
    if (ev.type === 'requestReceived') pending.push(ev.streamId);
  });
  const client = collectingClient();
  const a = client.session.request(req('/a'), { endStream: true });
  const b = client.session.request(req('/b'), { endStream: true });
  pump(client.session, server.session);
  t.deepEqual(pending, [a, b]);
  server.session.goaway();
  pump(client.session, server.session);
  // Phase two sent: last stream id 3; both streams may still complete.
  t.false(server.session.closed);
  t.throws(() => client.session.request(req('/c')), { name: 'ApiMisuseError' });
  for (const id of pending) {
    server.session.respond(id, [[':status', '200']]);
    server.session.sendData(id, Buffer.from('done'), true);
  }
  pending = [];
  pump(client.session, server.session);
  t.is(client.body(a).toString(), 'done');
  t.is(client.body(b).toString(), 'done');
  const goaways = client.events.filter((e) => e.type === 'goawayReceived') as any[];
  t.deepEqual(
    goaways.map((g) => g.lastStreamId),
    [0x7fffffff, 3],
  );
  t.true(server.session.closed);
  t.true(client.session.closed);
  const term = server.events.find((e) => e.type === 'connectionTerminated') as any;
  t.is(term.errorCode, 0);
});

test('many concurrent streams interleave DATA by urgency', (t) => {
  const order: number[] = [];
  const server = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') {
      s.respond(ev.streamId, [[':status', '200']]);
      s.sendData(ev.streamId, Buffer.alloc(40000, 1), true);
    }
  });
  const client = endpoint('client', {}, (ev, s) => {
    if (ev.type === 'dataReceived') {
      if (ev.data.length) order.push(ev.streamId);
      s.consume(ev.streamId, ev.data.length);
    }
  });
  pump(client.session, server.session);
  client.session.request(req('/low', 'GET', [['priority', 'u=6']]), { endStream: true });
  client.session.request(req('/high', 'GET', [['priority', 'u=0']]), { endStream: true });
  pump(client.session, server.session);
  // The urgent stream (3) is served entirely before the background one (1) gets a frame.
  t.is(order[0], 3);
  t.true(order.lastIndexOf(3) < order.indexOf(1));
});

test('header blocks larger than a frame go out as HEADERS + CONTINUATION and arrive whole', (t) => {
  const big = 'v'.repeat(40000);
  const server = endpoint('server', { frameEvents: true }, (ev, s) => {
    if (ev.type === 'requestReceived')
      s.respond(
        ev.streamId,
        [
          [':status', '200'],
          ['x-big', big],
        ],
        { endStream: true },
      );
  });
  const client = collectingClient();
  client.session.request(req('/', 'GET', [['x-req', big]]), { endStream: true });
  pump(client.session, server.session);
  const r = client.events.find((e) => e.type === 'responseReceived') as any;
  t.is(r.headers[1][1], big);
  const sent = server.events.filter((e) => e.type === 'frameSent').map((e: any) => e.frame.type);
  t.true(sent.filter((x) => x === 9).length >= 2, 'CONTINUATION frames were sent');
});

test('padding policy: padded DATA and HEADERS, flow control still balances', (t) => {
  const server = echoServer({ padding: { fixed: 64 } });
  const client = collectingClient({ padding: { fixed: 17 }, settings: { initialWindowSize: 5000 } });
  const body = Buffer.alloc(100_000, 7);
  const id = client.session.request(req('/', 'POST'));
  client.session.sendData(id, body, true);
  pump(client.session, server.session);
  t.true(client.body(id).equals(body));
  t.is(client.session.streamCount, 0);
});

test('frame events: HEADERS carry the decoded list and the category a printer needs', (t) => {
  const server = endpoint('server', { frameEvents: true }, (ev, s) => {
    if (ev.type === 'requestReceived') {
      const pid = s.push(ev.streamId, req('/p'));
      s.respond(ev.streamId, [[':status', '200']], { endStream: true });
      s.respond(pid, [[':status', '200']], { endStream: true });
    }
  });
  const client = endpoint('client', { frameEvents: true });
  client.session.request(req('/'), { endStream: true });
  pump(client.session, server.session);
  const cats = (evs: any[], type: string) =>
    evs.filter((e) => e.type === type && e.headers).map((e) => [e.frame.type, e.frame.streamId, e.category]);
  t.deepEqual(cats(client.events, 'frameSent'), [[1, 1, 'request']]);
  t.deepEqual(cats(server.events, 'frameReceived'), [[1, 1, 'request']]);
  t.deepEqual(cats(client.events, 'frameReceived'), [
    [5, 1, 'headers'],
    [1, 1, 'response'],
    [1, 2, 'push_response'],
  ]);
});

test('h2c upgrade: the HTTP/1.1 request becomes stream 1 on both sides', (t) => {
  const server = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') {
      s.respond(ev.streamId, [[':status', '200']]);
      s.sendData(ev.streamId, Buffer.from('upgraded'), true);
    }
  });
  const client = collectingClient({ settings: { initialWindowSize: 1 << 20 } });
  const payload = client.session.settingsPayload();
  t.is(payload.length % 6, 0);
  client.session.upgrade(payload, req('/'));
  server.session.upgrade(payload, req('/'), true);
  t.is(server.session.remoteSettings.initialWindowSize, 1 << 20);
  pump(client.session, server.session);
  t.is(client.body(1).toString(), 'upgraded');
  t.is(client.session.request(req('/next'), { endStream: true }), 3);
});

test("h2c upgrade: a bad HTTP2-Settings payload is refused by the codec's SETTINGS checks, as an ApiMisuseError", (t) => {
  const server = () => endpoint('server', {}, () => undefined).session;
  t.throws(() => server().upgrade(Buffer.alloc(5), req('/')), { name: 'ApiMisuseError', message: /HTTP2-Settings.*multiple of 6/ });
  // SETTINGS_ENABLE_PUSH = 2 (RFC 9113 section 6.5.2: only 0 or 1).
  const badPush = Buffer.from([0, 2, 0, 0, 0, 2]);
  t.throws(() => server().upgrade(badPush, req('/')), { name: 'ApiMisuseError', message: /HTTP2-Settings/ });
  // An unknown setting is ignored (RFC 9113 section 6.5.2), as in a SETTINGS frame.
  t.notThrows(() => server().upgrade(Buffer.from([0x0a, 0x0a, 0, 0, 0, 1]), req('/')));
});

test('RFC 9218: PRIORITY_UPDATE reaches the server; a client receiving one fails the connection', (t) => {
  const server = endpoint('server');
  const client = collectingClient();
  const id = client.session.request(req('/'), { endStream: true });
  client.session.sendPriorityUpdate(id, 'u=1, i');
  pump(client.session, server.session);
  const pu = server.events.find((e) => e.type === 'priorityUpdateReceived') as any;
  t.deepEqual([pu.streamId, pu.priority], [id, 'u=1, i']);
  const c2 = endpoint('client');
  const peer = new RawPeer(c2.session, 'server').preface();
  peer.send({ type: FrameType.PRIORITY_UPDATE, flags: 0, streamId: 0, prioritizedStreamId: 1, priorityFieldValue: 'u=0' } as Frame);
  const g = peer.read().find((f) => f.type === FrameType.GOAWAY) as any;
  t.is(g.errorCode, 1);
});

test('extended CONNECT (RFC 8441) is accepted only when the server enabled it', (t) => {
  const conn = (enable: boolean) => {
    const server = endpoint('server', { settings: { enableConnectProtocol: enable } }, (ev, s) => {
      if (ev.type === 'requestReceived') s.respond(ev.streamId, [[':status', '200']]);
    });
    const client = collectingClient();
    pump(client.session, server.session);
    const id = client.session.request([
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'http'],
      [':authority', 'h'],
      [':path', '/chat'],
    ]);
    pump(client.session, server.session);
    return { client, server, id };
  };
  const on = conn(true);
  t.true(on.client.events.some((e) => e.type === 'responseReceived'));
  t.true(on.client.session.isStreamOpen(on.id));
  on.client.session.sendData(on.id, Buffer.from('frame'));
  pump(on.client.session, on.server.session);
  t.true(on.server.events.some((e) => e.type === 'dataReceived' && e.data.toString() === 'frame'));
  // Without the server's setting our client refuses to send :protocol...
  t.throws(() => conn(false), { name: 'ApiMisuseError' });
  // ...and a server that did not enable it resets such a request (stream PROTOCOL_ERROR).
  const server = endpoint('server');
  const peer = new RawPeer(server.session, 'client').preface();
  peer.headers(1, [
    [':method', 'CONNECT'],
    [':protocol', 'websocket'],
    [':scheme', 'http'],
    [':authority', 'h'],
    [':path', '/chat'],
  ]);
  const rst = peer.read().find((f) => f.type === FrameType.RST_STREAM) as any;
  t.deepEqual([rst.streamId, rst.errorCode], [1, 1]);
});

test('fast-check: random bodies, windows, padding and byte chunking always deliver intact, with no errors', (t) => {
  const fc = require('fast-check') as typeof import('fast-check');
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 20000 }), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 1, max: 70000 }),
      fc.integer({ min: 1, max: 70000 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 1, max: 8 }),
      (sizes, winC, winS, pad, chunk, maxStreams) => {
        const server = echoServer({
          settings: { initialWindowSize: winS, maxConcurrentStreams: maxStreams },
          padding: pad ? { fixed: pad } : undefined,
        });
        const client = collectingClient({ settings: { initialWindowSize: winC } });
        // Settings first: before the server's SETTINGS arrive the client cannot know its
        // concurrency limit, and a refused stream (REFUSED_STREAM, retryable) would be legitimate.
        pump(client.session, server.session);
        const bodies = sizes.map((n, i) => Buffer.alloc(n, i + 1));
        const ids = bodies.map((b) => {
          const id = client.session.request(req('/e', 'POST'));
          client.session.sendData(id, b, true);
          return id;
        });
        // Move bytes in slices of `chunk` octets, so frames straddle receive() calls.
        for (let round = 0; round < 100000; round++) {
          let moved = false;
          for (const [from, to] of [
            [client.session, server.session],
            [server.session, client.session],
          ] as const) {
            const b = from.dataToSend();
            if (!b) continue;
            moved = true;
            for (let at = 0; at < b.length; at += chunk) to.receive(b.subarray(at, at + chunk));
          }
          if (!moved) break;
        }
        const errs = [...client.events, ...server.events].filter((e) => e.type === 'streamReset' || e.type === 'connectionTerminated');
        return errs.length === 0 && ids.every((id, i) => client.body(id).equals(bodies[i]));
      },
    ),
    { numRuns: 40 },
  );
  t.pass();
});

test('updateSettings mid-connection: smaller HPACK table, smaller window, larger frames, all applied on ACK', (t) => {
  const server = echoServer();
  const client = collectingClient();
  pump(client.session, server.session);
  client.session.updateSettings({ headerTableSize: 0, initialWindowSize: 3000, maxFrameSize: 65536 });
  t.is(client.session.localSettings.initialWindowSize, 65535, 'not yet acknowledged');
  pump(client.session, server.session);
  t.is(client.session.localSettings.initialWindowSize, 3000);
  t.is(client.session.localSettings.maxFrameSize, 65536);
  t.is(server.session.remoteSettings.headerTableSize, 0);
  const body = Buffer.alloc(200_000, 3);
  const ids = [1, 2, 3].map(() => {
    const id = client.session.request(req('/', 'POST', [['x-same', 'value']]));
    client.session.sendData(id, body, true);
    return id;
  });
  pump(client.session, server.session);
  for (const id of ids) t.true(client.body(id).equals(body));
  t.false(client.events.some((e) => e.type === 'streamReset' || e.type === 'connectionTerminated'));
});

test('ping() is answered; an unanswered graceful-shutdown PING ends phase one via tick()', (t) => {
  const clock = { t: 0 };
  const server = endpoint('server', { now: () => clock.t, settingsTimeoutMs: 1000 });
  const client = collectingClient();
  pump(client.session, server.session);
  client.session.ping(Buffer.from('12345678'));
  pump(client.session, server.session);
  const ack = client.events.find((e) => e.type === 'pingAcknowledged') as any;
  t.is(ack.opaqueData.toString(), '12345678');
  server.session.goaway();
  server.session.dataToSend(); // phase one goes out, but the peer never answers
  clock.t = 500;
  server.session.tick(clock.t);
  t.false(server.session.closed);
  clock.t = 1500;
  server.session.tick(clock.t);
  t.true(server.session.closed, 'no streams: the final GOAWAY ends the connection');
  const out = server.session.dataToSend();
  t.truthy(out);
});

test('with a padding policy, the frames reported as sent are the frames on the wire (padLength and length)', (t) => {
  const client = endpoint('client', { frameEvents: true, padding: { fixed: 11 } });
  const peer = new RawPeer(client.session, 'server');
  const id = client.session.request(req('/', 'POST'));
  client.session.sendData(id, Buffer.alloc(100), true);
  const wire = peer.read().filter((f) => f.type === FrameType.HEADERS || f.type === FrameType.DATA) as any[];
  const reported = client.events
    .filter((e) => e.type === 'frameSent')
    .map((e: any) => e.frame)
    .filter((f) => f.type === FrameType.HEADERS || f.type === FrameType.DATA);
  t.deepEqual(
    wire.map((f) => [f.type, f.padLength, f.length]),
    reported.map((f) => [f.type, f.padLength, f.length]),
  );
  t.deepEqual(
    wire.map((f) => f.padLength),
    [10, 10],
  );
});

test('graceful shutdown: a request already in flight when the first GOAWAY leaves is still served', (t) => {
  const server = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') s.respond(ev.streamId, [[':status', '200']], { endStream: true });
  });
  const client = collectingClient();
  pump(client.session, server.session);
  const id = client.session.request(req('/racing'), { endStream: true });
  const inFlight = client.session.dataToSend()!; // on the wire, not yet read by the server
  server.session.goaway();
  const phase1 = server.session.dataToSend()!; // GOAWAY(2^31-1) + PING, not yet read by the client
  server.session.receive(inFlight);
  client.session.receive(phase1);
  pump(client.session, server.session);
  const r = client.events.find((e) => e.type === 'responseReceived') as any;
  t.is(r.streamId, id);
  t.is((client.events.find((e) => e.type === 'goawayReceived') as any).lastStreamId, 0x7fffffff);
  // The server's final GOAWAY names the racing stream as processed.
  t.is((server.events.find((e) => e.type === 'connectionTerminated') as any).lastStreamId, id);
  t.true(server.session.closed && client.session.closed);
});

test('commands refuse malformed field sections before anything is encoded', (t) => {
  const server = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') {
      t.throws(
        () =>
          s.respond(ev.streamId, [
            [':status', '200'],
            ['Content-Type', 'x'],
          ]),
        { name: 'ApiMisuseError' },
      );
      t.throws(
        () =>
          s.respond(ev.streamId, [
            [':status', '200'],
            ['connection', 'close'],
          ]),
        { name: 'ApiMisuseError' },
      );
      t.throws(
        () =>
          s.respond(ev.streamId, [
            [':status', '200'],
            ['x', 'a\r\nb'],
          ]),
        { name: 'ApiMisuseError' },
      );
      t.throws(
        () =>
          s.respond(ev.streamId, [
            [':status', '200'],
            ['x', 5 as any],
          ]),
        { name: 'ApiMisuseError' },
      );
      s.respond(ev.streamId, [[':status', '200']]);
      t.throws(() => s.sendTrailers(ev.streamId, [[':status', '200']]), { name: 'ApiMisuseError' });
      s.sendTrailers(ev.streamId, [['x-done', '1']]);
    }
  });
  const client = collectingClient();
  t.throws(() => client.session.request([...req('/'), ['te', 'gzip']]), { name: 'ApiMisuseError' });
  // A valid request list is remembered (checked once when repeated); a different one is checked.
  const good = req('/', 'GET', [['x', '1']]);
  client.session.request(good, { endStream: true });
  t.throws(() => client.session.request([...good, ['te', 'gzip']]), { name: 'ApiMisuseError' });
  // Same length as the remembered list, its last value different.
  t.throws(() => client.session.request(req('/', 'GET', [['x', 'a\r\nb']])), { name: 'ApiMisuseError' });
  client.session.request(req('/', 'GET', [['x', '1']]), { endStream: true });
  pump(client.session, server.session);
  t.true(client.events.some((e) => e.type === 'trailersReceived'));
  t.false(client.session.closed || server.session.closed);
});

test("push() respects the client's MAX_CONCURRENT_STREAMS", (t) => {
  let refused = 0;
  let pushed = 0;
  const server = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') {
      for (let i = 0; i < 5; i++) {
        try {
          s.push(ev.streamId, req(`/p${i}`));
          pushed++;
        } catch {
          refused++;
        }
      }
      s.respond(ev.streamId, [[':status', '200']], { endStream: true });
    }
  });
  const client = collectingClient({ settings: { maxConcurrentStreams: 2 } });
  pump(client.session, server.session);
  client.session.request(req('/'), { endStream: true });
  pump(client.session, server.session);
  t.deepEqual([pushed, refused], [2, 3]);
});
