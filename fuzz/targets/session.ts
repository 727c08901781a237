/**
 * Targets `session-server` and `session-client`: a sans-IO Session fed raw peer bytes (in
 * pieces cut from the input itself), with a small application on top that answers requests,
 * reads bodies and sends its own data, so the write side, flow control and the scheduler run
 * too. Clean outcomes: anything the session reports through events. The session promises that
 * peer errors never throw out of `receive`; so any throw is a bug, and so is a
 * connectionTerminated carrying an error that is not an H2Error (the session turns its own
 * internal failures into INTERNAL_ERROR GOAWAYs; the fuzzer wants to see them). The tools' frame
 * printer prints every frame sent and received, so what it chokes on is found here too.
 */
import { FramePrinter } from '../../lib/apps/printer/printer';
import { ApiMisuseError, H2Error } from '../../lib/protocol/errors';
import { Session, SessionEvent } from '../../lib/protocol/session/session';
import { chunksOf, FuzzTarget, InvariantError } from './target';

/** Most dataToSend() calls per input (a session that never stops producing bytes is a hang). */
const MAX_DRAINS = 10000;

/**
 * The session's set-up, picked by the input's last octet (so mutation moves an input between
 * them): 0 plain; 1 small limits (one stream, no window, no dynamic table, a 200-octet header
 * list cap) and outbound padding; 2 RFC 8441 extended CONNECT on and push off; 3 an h2c
 * upgrade first (stream 1 opened by HTTP/1.1 Upgrade, RFC 7540 section 3.2).
 */
function profileOf(input: Buffer): number {
  return input.length ? input[input.length - 1] & 3 : 0;
}

function drive(role: 'client' | 'server', input: Buffer): void {
  let now = 1_000_000;
  const todo: SessionEvent[] = [];
  let internal: Error | undefined;
  const profile = profileOf(input);
  // The frame printer of nghttp -v (text, on the client) and nghttpd's JSON trace (on the
  // server) sees every frame the session accepts or sends, as in the tools.
  const printer = new FramePrinter({ write: () => undefined, now: () => now, json: role === 'server' });
  const settings =
    profile === 1
      ? { initialWindowSize: 0, maxConcurrentStreams: 1, headerTableSize: 0, maxHeaderListSize: 200 }
      : profile === 2
        ? { initialWindowSize: 1024, enableConnectProtocol: true, enablePush: false }
        : { initialWindowSize: 1024, maxFrameSize: 16384, maxConcurrentStreams: 8, headerTableSize: 1024 };
  const session = new Session({
    role,
    now: () => now,
    settings,
    padding: profile === 1 ? { upTo: 64 } : undefined,
    connectionWindowSize: profile === 1 ? 1 << 20 : undefined,
    onEvent: (ev) => {
      if (ev.type === 'frameReceived') printer.received(ev.frame, { headers: ev.headers, category: ev.category });
      else if (ev.type === 'frameSent') printer.sent(ev.frame, { headers: ev.headers, category: ev.category });
      if (ev.type === 'connectionTerminated' && ev.error !== undefined && !(ev.error instanceof H2Error)) internal = ev.error;
      if (
        ev.type === 'requestReceived' ||
        ev.type === 'responseReceived' ||
        ev.type === 'dataReceived' ||
        ev.type === 'pushPromiseReceived' ||
        ev.type === 'streamEnded'
      )
        todo.push(ev);
    },
  });
  if (profile === 3) {
    // HTTP2-Settings of the Upgrade request: ENABLE_PUSH 0, INITIAL_WINDOW_SIZE 4096.
    const payload = Buffer.from('000200000000000400001000', 'hex');
    session.upgrade(
      role === 'server' ? payload : session.settingsPayload(),
      [
        [':method', 'GET'],
        [':scheme', 'http'],
        [':authority', 'fuzz'],
        [':path', '/'],
      ],
      true,
    );
  }
  const act = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      // A command on a stream the peer has just reset, or after the connection ended: the
      // application raced the peer, which the API reports as misuse.
      if (!(err instanceof ApiMisuseError)) throw err;
    }
  };
  if (role === 'client' && profile !== 3) {
    act(() =>
      session.request(
        [
          [':method', 'GET'],
          [':scheme', 'https'],
          [':authority', 'fuzz'],
          [':path', '/'],
        ],
        { endStream: true },
      ),
    );
    act(() => {
      const id = session.request([
        [':method', 'POST'],
        [':scheme', 'https'],
        [':authority', 'fuzz'],
        [':path', '/up'],
      ]);
      session.sendData(id, Buffer.alloc(3000, 0x61), true);
    });
  }
  const drain = () => {
    for (let i = 0; session.dataToSend(i % 2 ? 100 : Infinity) !== null; i++) {
      if (i >= MAX_DRAINS) throw new InvariantError('dataToSend() never ran dry');
    }
  };
  const respond = () => {
    while (todo.length) {
      const ev = todo.shift()!;
      if (ev.type === 'requestReceived') {
        const id = ev.streamId;
        act(() =>
          session.respond(id, [
            [':status', '200'],
            ['content-type', 'text/plain'],
          ]),
        );
        act(() => session.sendData(id, Buffer.alloc(2000, 0x62), false));
        act(() => session.sendTrailers(id, [['x-trailer', 'yes']]));
      } else if (ev.type === 'dataReceived') {
        const { streamId, flowControlledLength } = ev;
        act(() => session.consume(streamId, flowControlledLength));
      } else if (ev.type === 'responseReceived' && ev.streamId % 4 === 1) {
        act(() => session.reset(ev.streamId + 2));
      }
    }
  };
  for (const chunk of chunksOf(input, 2, 1024)) {
    session.receive(chunk);
    respond();
    drain();
    now += 700;
    session.tick(now);
  }
  session.receiveEnd();
  respond();
  drain();
  if (internal) throw internal;
}

export const serverTarget: FuzzTarget = {
  name: 'session-server',
  maxLen: 8192,
  frames: true,
  dictionary: frameTokens(),
  run: (input) => drive('server', input),
};

export const clientTarget: FuzzTarget = {
  name: 'session-client',
  maxLen: 8192,
  frames: true,
  dictionary: frameTokens(),
  run: (input) => drive('client', input),
};

function frameTokens(): (string | Buffer)[] {
  return [
    'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    Buffer.from('000000040000000000', 'hex'),
    Buffer.from('000000040100000000', 'hex'),
    Buffer.from('000006040000000000000400000000', 'hex'), // SETTINGS INITIAL_WINDOW_SIZE 0
    Buffer.from('0000060400000000000001000000ff', 'hex'), // SETTINGS HEADER_TABLE_SIZE 255
    Buffer.from('0000080600000000000000000000000000', 'hex'),
    Buffer.from('0000040800000000007fffffff', 'hex'),
    Buffer.from('000004080000000001', 'hex'),
    Buffer.from('00000403000000000100000008', 'hex'),
    Buffer.from('000001010500000001', 'hex'),
    Buffer.from('000001010400000003', 'hex'),
    Buffer.from('000001090400000001', 'hex'),
    Buffer.from('00000502000000000300000000', 'hex'),
    Buffer.from('000000000100000001', 'hex'),
    Buffer.from('0000080700000000000000000000000000', 'hex'),
    Buffer.from('000000050400000001', 'hex'),
    Buffer.from('000000100000000000', 'hex'),
    Buffer.from('82', 'hex'),
    Buffer.from('8386', 'hex'),
    Buffer.from('8287', 'hex'),
    Buffer.from('88', 'hex'),
    Buffer.from('3fe11f', 'hex'),
  ];
}
