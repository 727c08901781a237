/**
 * operators/session.ts: the session as a Duplex (two piped back to back make a connection) and
 * as an RxJS operator (bytes in, events out).
 */
import test from 'ava';
import { Subject, firstValueFrom, filter, take, toArray } from 'rxjs';
import { sessionDuplex, sessionEvents } from '../../operators/session';
import type { SessionEvent } from '../../lib/protocol/session/session';

test('sessionDuplex: a client and a server piped into each other complete a request', async (t) => {
  const server = sessionDuplex({ role: 'server' }, (ev) => {
    if (ev.type === 'requestReceived') {
      server.session.respond(ev.streamId, [[':status', '200']]);
      server.session.sendData(ev.streamId, Buffer.from('via duplex'), true);
    }
  });
  const client = sessionDuplex({ role: 'client' });
  const got: Buffer[] = [];
  const done = new Promise<void>((resolve) => {
    client.on('session-event', (ev: SessionEvent) => {
      if (ev.type === 'dataReceived') got.push(ev.data);
      if (ev.type === 'streamClosed') resolve();
    });
  });
  client.pipe(server).pipe(client);
  client.session.request(
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'x'],
      [':path', '/'],
    ],
    { endStream: true },
  );
  await done;
  t.is(Buffer.concat(got).toString(), 'via duplex');
  client.destroy();
  server.destroy();
});

test('sessionEvents: bytes in, events out; the session answers through `write`', async (t) => {
  const clientBytes = new Subject<Buffer>();
  const serverBytes = new Subject<Buffer>();
  const serverEvents = serverBytes.pipe(sessionEvents({ role: 'server', write: (b) => queueMicrotask(() => clientBytes.next(b)) }));
  const clientEvents = clientBytes.pipe(
    sessionEvents({
      role: 'client',
      write: (b) => queueMicrotask(() => serverBytes.next(b)),
      session: (s) =>
        s.request(
          [
            [':method', 'GET'],
            [':scheme', 'http'],
            [':authority', 'x'],
            [':path', '/rx'],
          ],
          { endStream: true },
        ),
    }),
  );
  const request = firstValueFrom(serverEvents.pipe(filter((ev) => ev.type === 'requestReceived')));
  const settings = firstValueFrom(
    clientEvents.pipe(
      filter((ev) => ev.type === 'settingsReceived'),
      take(1),
      toArray(),
    ),
  );
  const req = await request;
  t.is(req.type, 'requestReceived');
  if (req.type === 'requestReceived')
    t.deepEqual(
      req.headers.find((h) => h[0] === ':path'),
      [':path', '/rx'],
    );
  t.is((await settings).length, 1);
  clientBytes.complete();
  serverBytes.complete();
});
