import test from 'ava';
import type { HeaderField } from '../../../lib/protocol/frame/types';
import type { Session } from '../../../lib/protocol/session/session';
import type { SessionEvent } from '../../../lib/protocol/session/types';
import { endpoint, pump, req } from './harness';

// respond() with a list equal (names and values) to the response list checked last sends the
// encoder's last block again without comparing the strings twice (HeaderSender.checkedIsLast).
// Whatever comes in between (a never-indexed flag, trailers checked now and framed later, a push
// promise, a request-free table size change, a list that differs), every response must decode
// at the client as exactly the list sent.

/** A new string object with `s`'s content (a proxy's equal strings from another backend connection). */
const fresh = (s: string) => s.split('').join('');

/** The usual answer, built anew each time. */
const usual = (): HeaderField[] => [
  [fresh(':status'), fresh('200')],
  [fresh('content-type'), fresh('application/octet-stream')],
  [fresh('date'), fresh('Mon, 07 Dec 2026 04:10:00 GMT')],
  ['server', 'nghttpx'],
];

test('a repeated response list is sent as its last block only while that block still encodes it', (t) => {
  const sent = new Map<number, HeaderField[]>();
  const received = new Map<number, HeaderField[]>();
  const trailersReceived = new Map<number, HeaderField[]>();
  let step = 0;
  // Each step returns the list to answer with, or [list, true] when it answered itself.
  const plan: ((id: number, s: Session) => HeaderField[] | [HeaderField[], true])[] = [
    () => usual(),
    () => usual(),
    () => usual(),
    // The same names and values, one field never indexed: a different block.
    () => usual().map((f) => (f[0] === 'date' ? ([f[0], f[1], true] as HeaderField) : f)),
    () => usual(),
    // Trailers equal to the usual list's regular fields are checked now, framed after the body.
    (id, s) => {
      const h = usual();
      s.respond(id, h);
      s.sendData(id, Buffer.from('x'));
      s.sendTrailers(id, h.slice(1));
      return [h, true];
    },
    () => usual(),
    // A value that differs, then the usual list again.
    () => [...usual().slice(0, 2), ['date', 'Mon, 07 Dec 2026 04:10:01 GMT'], ['server', 'nghttpx']],
    () => usual(),
    () => usual(),
  ];
  const server = endpoint('server', {}, (ev: SessionEvent, s) => {
    if (ev.type !== 'requestReceived') return;
    const id = ev.streamId;
    const act = plan[step++];
    if (step === 6) {
      // A push promise (another list through the same encoder) before this answer.
      const pushed = s.push(id, req('/pushed'));
      s.respond(pushed, [[':status', '204']], { endStream: true });
    }
    const r = act(id, s);
    const answered = r.length === 2 && r[1] === true;
    const h = (answered ? r[0] : r) as HeaderField[];
    sent.set(id, h);
    if (!answered) s.respond(id, h, { endStream: true });
  });
  const client = endpoint('client', {}, (ev: SessionEvent) => {
    if (ev.type === 'responseReceived') received.set(ev.streamId, ev.headers);
    if (ev.type === 'trailersReceived') trailersReceived.set(ev.streamId, ev.headers);
    if (ev.type === 'dataReceived') client.session.consume(ev.streamId, ev.data.length);
  });
  for (let i = 0; i < plan.length; i++) {
    if (i === 8) client.session.updateSettings({ headerTableSize: 256 });
    client.session.request(req(`/${i}`), { endStream: true });
    pump(client.session, server.session);
  }
  t.is(step, plan.length);
  for (const [id, h] of sent) {
    const got = received.get(id);
    t.deepEqual(
      got?.map((f) => [f[0], f[1], f[2] === true]),
      h.map((f) => [f[0], f[1], f[2] === true]),
      `stream ${id}`,
    );
  }
  t.is(trailersReceived.size, 1);
  t.deepEqual(
    [...trailersReceived.values()][0].map((f) => [f[0], f[1]]),
    usual()
      .slice(1)
      .map((f) => [f[0], f[1]]),
  );
});
