import test from 'ava';
import { ErrorCode } from '../../../lib/protocol/errors';
import type { HeaderField, SessionEvent, StreamHandler } from '../../../lib/protocol/session/session';
import { endpoint, pump, req } from './harness';

// SessionOptions.streamHandler: the seven stream event kinds come as calls, at the moments and in
// the order their objects came to onEvent; onEvent gets every other kind.

const STREAM_KINDS = [
  'requestReceived',
  'responseReceived',
  'trailersReceived',
  'dataReceived',
  'streamEnded',
  'streamReset',
  'streamClosed',
];

/** A handler that writes each call down as the event object a session without one makes. */
function recorder(into: SessionEvent[]): StreamHandler {
  return {
    requestReceived: (streamId, headers, endStream) => into.push({ type: 'requestReceived', streamId, headers, endStream }),
    responseReceived: (streamId, headers, endStream, informational, blockLength) =>
      into.push({ type: 'responseReceived', streamId, headers, endStream, informational, blockLength }),
    trailersReceived: (streamId, headers, blockLength) => into.push({ type: 'trailersReceived', streamId, headers, blockLength }),
    dataReceived: (streamId, data, flowControlledLength, endStream) =>
      into.push({ type: 'dataReceived', streamId, data, flowControlledLength, endStream }),
    streamEnded: (streamId) => into.push({ type: 'streamEnded', streamId }),
    streamReset: (streamId, errorCode, remote, reason) =>
      into.push(
        remote ? { type: 'streamReset', streamId, errorCode, remote } : { type: 'streamReset', streamId, errorCode, remote, reason },
      ),
    streamClosed: (streamId, errorCode) => into.push({ type: 'streamClosed', streamId, errorCode }),
  };
}

/** One exchange: a POST with a body and trailers answered 200 with a body and trailers, a GET reset by the client, a GET the server resets. */
function exchange(withHandler: boolean): {
  client: SessionEvent[];
  server: SessionEvent[];
  clientCalls: SessionEvent[];
  serverCalls: SessionEvent[];
} {
  const clientCalls: SessionEvent[] = [];
  const serverCalls: SessionEvent[] = [];
  const server = endpoint('server', withHandler ? { streamHandler: recorder(serverCalls) } : {});
  const client = endpoint('client', withHandler ? { streamHandler: recorder(clientCalls) } : {});
  pump(client.session, server.session);
  const post = client.session.request(req('/up', 'POST'));
  client.session.sendData(post, Buffer.from('hello'));
  client.session.sendTrailers(post, [['x-sum', '5']]);
  const get = client.session.request(req('/a'), { endStream: true });
  const other = client.session.request(req('/b'), { endStream: true });
  pump(client.session, server.session);
  const ok: HeaderField[] = [[':status', '200']];
  server.session.respond(post, ok);
  server.session.sendData(post, Buffer.from('world'));
  server.session.sendTrailers(post, [['x-done', '1']]);
  client.session.reset(get, ErrorCode.CANCEL);
  server.session.reset(other, ErrorCode.REFUSED_STREAM);
  pump(client.session, server.session);
  return { client: client.app(), server: server.app(), clientCalls, serverCalls };
}

test('the calls carry what the event objects carried, in the same order; onEvent gets the other kinds only', (t) => {
  const objects = exchange(false);
  const calls = exchange(true);
  const streamOnly = (evs: SessionEvent[]) => evs.filter((e) => STREAM_KINDS.includes(e.type));
  const otherOnly = (evs: SessionEvent[]) => evs.filter((e) => !STREAM_KINDS.includes(e.type));
  t.true(streamOnly(objects.server).length >= 8, 'the exchange makes stream events');
  t.deepEqual(calls.serverCalls, streamOnly(objects.server));
  t.deepEqual(calls.clientCalls, streamOnly(objects.client));
  t.deepEqual(streamOnly(calls.server), []);
  t.deepEqual(streamOnly(calls.client), []);
  t.deepEqual(
    otherOnly(calls.server).map((e) => e.type),
    otherOnly(objects.server).map((e) => e.type),
  );
  t.deepEqual(
    otherOnly(calls.client).map((e) => e.type),
    otherOnly(objects.client).map((e) => e.type),
  );
});
