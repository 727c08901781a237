/**
 * Http2Connection's stream events as calls (ConnectionOptions.streamHandler): after the
 * connection's own handling, with onEvent no longer given those kinds and events$ still given all.
 */
import test from 'ava';
import { Http2Connection } from '../../lib/transport/connection';
import type { SessionEvent } from '../../lib/protocol/session/session';
import { getText, memoryPair } from '../helpers/memory-pair';

test('streamHandler calls come after the streams were handled; onEvent gets no stream kinds; events$ gets them all', async (t) => {
  const [sa, sb] = memoryPair();
  const srv = new Http2Connection(sa, { session: { role: 'server' } });
  srv.on('stream', (st) => {
    st.respond([[':status', '200']]);
    st.sendData(Buffer.from('body'), true);
  });
  const hooked: string[] = [];
  const calls: string[] = [];
  const observed: string[] = [];
  let closedSeen = false;
  const cli: Http2Connection = new Http2Connection(sb, {
    session: { role: 'client' },
    onEvent: (ev: SessionEvent) => hooked.push(ev.type),
    streamHandler: {
      responseReceived: (id) => calls.push(`response ${id} ${cli.streams.get(id)?.responseHeaders[0]?.[1]}`),
      dataReceived: (id, data, _len, end) => calls.push(`data ${id} ${data.toString()} ${end}`),
      streamClosed: (id, code) => {
        calls.push(`closed ${id} ${code}`);
        closedSeen = cli.streams.get(id) === undefined;
      },
    },
  });
  cli.events$.subscribe((ev) => observed.push(ev.type));
  t.is(await getText(cli), 'body');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(calls, ['response 1 200', 'data 1 body true', 'closed 1 0']);
  t.true(closedSeen, 'the connection had dropped the stream when streamClosed was called');
  t.false(
    hooked.some((k) => ['responseReceived', 'dataReceived', 'streamEnded', 'streamClosed'].includes(k)),
    hooked.join(' '),
  );
  t.true(hooked.includes('settingsReceived'));
  for (const k of ['responseReceived', 'dataReceived', 'streamClosed']) t.true(observed.includes(k), k);
  await cli.close();
  srv.destroy();
});

test('each connection has its own stream map from its first stream on (the empty one before is shared and stays empty)', async (t) => {
  const pairs = [memoryPair(), memoryPair()];
  const servers = pairs.map(([sa]) => new Http2Connection(sa, { session: { role: 'server' } }));
  for (const srv of servers)
    srv.on('stream', (st) => {
      st.respond([[':status', '200']]);
      st.sendData(Buffer.from(`body ${servers.indexOf(srv)}`), true);
    });
  const clients = pairs.map(([, sb]) => new Http2Connection(sb, { session: { role: 'client' } }));
  // A connection driven through streamHandler only (as h2load's) never makes a stream object.
  const counted = new Http2Connection(memoryPair()[1], { session: { role: 'client' }, streamHandler: {} });
  t.is(counted.streams.size, 0);
  t.is(clients[0].streams.size, 0);
  const first = clients[0].request(
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'mem'],
      [':path', '/'],
    ],
    { endStream: false },
  );
  t.is(clients[0].streams.get(1), first);
  t.is(clients[1].streams.size, 0, 'another connection does not see it');
  t.is(counted.streams.size, 0);
  t.is(await getText(clients[1]), 'body 1');
  first.end();
  const chunks: Buffer[] = [];
  for await (const d of first.body) chunks.push(d as Buffer);
  t.is(Buffer.concat(chunks).toString(), 'body 0');
  for (const c of [...clients, ...servers, counted]) c.destroy();
});
