import test from 'ava';
import { WriteScheduler } from '../../../lib/protocol/session/scheduler';
import { Stream } from '../../../lib/protocol/session/stream';
import { endpoint, pump, req } from './harness';

const mk = (id: number) => new Stream(id, false, 65535, 65535);

/** Serve `frames` frames of 1000 octets, requeueing every stream; returns the order of ids. */
function serve(sch: WriteScheduler, frames: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < frames; i++) {
    const s = sch.pop();
    if (!s) break;
    out.push(s.id);
    sch.requeue(s, 1000);
  }
  return out;
}

test('RFC 9218: lower urgency first; incremental streams round-robin, others one at a time', (t) => {
  const sch = new WriteScheduler();
  const [a, b, c, d] = [1, 3, 5, 7].map(mk);
  a.urgency = 5;
  c.incremental = true;
  d.incremental = true;
  [a, b, c, d].forEach((s) => sch.add(s));
  t.deepEqual(serve(sch, 3), [3, 3, 3]);
  sch.remove(b);
  t.deepEqual(serve(sch, 4), [5, 7, 5, 7]);
  sch.remove(c);
  sch.remove(d);
  t.deepEqual(serve(sch, 1), [1]);
});

test('RFC 7540: a parent with data is served before its dependents; siblings share by weight', (t) => {
  const sch = new WriteScheduler();
  const [p, x, y] = [1, 3, 5].map(mk);
  sch.setPriority(1, { dependsOn: 0, weight: 16, exclusive: false }, p);
  sch.setPriority(3, { dependsOn: 1, weight: 192, exclusive: false }, x);
  sch.setPriority(5, { dependsOn: 1, weight: 64, exclusive: false }, y);
  [y, x, p].forEach((s) => sch.add(s));
  t.deepEqual(serve(sch, 3), [1, 1, 1]);
  sch.remove(p);
  const order = serve(sch, 400);
  const nx = order.filter((id) => id === 3).length;
  const ny = order.filter((id) => id === 5).length;
  t.true(Math.abs(nx / ny - 3) < 0.2, `share ${nx}:${ny} should be 3:1`);
});

test('RFC 7540: exclusive dependency inserts a level; closing a parent moves its children up', (t) => {
  const sch = new WriteScheduler();
  const [a, b, c] = [1, 3, 5].map(mk);
  sch.setPriority(1, { dependsOn: 0, weight: 16, exclusive: false }, a);
  sch.setPriority(3, { dependsOn: 0, weight: 16, exclusive: false }, b);
  // 5 becomes the sole child of the root: 1 and 3 now depend on it.
  sch.setPriority(5, { dependsOn: 0, weight: 16, exclusive: true }, c);
  [a, b, c].forEach((s) => sch.add(s));
  t.deepEqual(serve(sch, 2), [5, 5]);
  sch.closed(c);
  t.deepEqual(new Set(serve(sch, 4)), new Set([1, 3]));
});

test('RFC 7540: depending on its own dependent moves the dependent up first', (t) => {
  const sch = new WriteScheduler();
  const [a, b] = [1, 3].map(mk);
  sch.setPriority(3, { dependsOn: 1, weight: 16, exclusive: false }, b);
  sch.setPriority(1, { dependsOn: 3, weight: 16, exclusive: false }, a);
  [a, b].forEach((s) => sch.add(s));
  t.deepEqual(serve(sch, 2), [3, 3]);
});

test('a server honours nghttp-style anchor streams sent as PRIORITY frames on idle streams', (t) => {
  const order: number[] = [];
  const server = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') {
      s.respond(ev.streamId, [[':status', '200']]);
      s.sendData(ev.streamId, Buffer.alloc(30000), true);
    }
  });
  const client = endpoint('client', {}, (ev, s) => {
    if (ev.type === 'dataReceived') {
      if (ev.data.length) order.push(ev.streamId);
      s.consume(ev.streamId, ev.data.length);
    }
  });
  pump(client.session, server.session);
  client.session.sendPriority(3, { dependsOn: 0, weight: 201, exclusive: false });
  client.session.sendPriority(5, { dependsOn: 0, weight: 1, exclusive: false });
  const low = client.session.request(req('/low'), { endStream: true, priority: { dependsOn: 5, weight: 16, exclusive: false } });
  const high = client.session.request(req('/high'), { endStream: true, priority: { dependsOn: 3, weight: 16, exclusive: false } });
  t.deepEqual([low, high], [7, 9]);
  pump(client.session, server.session);
  // The child of the weight-201 anchor is served before the child of the weight-1 anchor.
  t.deepEqual(order, [high, high, low, low]);
});

test('with SETTINGS_NO_RFC7540_PRIORITIES = 1 the server ignores PRIORITY frames and keeps RFC 9218 order', (t) => {
  const order: number[] = [];
  const server = endpoint('server', { settings: { noRfc7540Priorities: true } }, (ev, s) => {
    if (ev.type === 'requestReceived') {
      s.respond(ev.streamId, [[':status', '200']]);
      s.sendData(ev.streamId, Buffer.alloc(30000), true);
    }
  });
  const client = endpoint('client', {}, (ev, s) => {
    if (ev.type === 'dataReceived') {
      if (ev.data.length) order.push(ev.streamId);
      s.consume(ev.streamId, ev.data.length);
    }
  });
  pump(client.session, server.session);
  client.session.sendPriority(3, { dependsOn: 0, weight: 256, exclusive: false });
  client.session.sendPriority(5, { dependsOn: 0, weight: 1, exclusive: false });
  // RFC 7540 says 9 first (weight 256 anchor); RFC 9218 urgency says 7 (u=0) first.
  client.session.request(req('/a', 'GET', [['priority', 'u=0']]), {
    endStream: true,
    priority: { dependsOn: 5, weight: 1, exclusive: false },
  });
  client.session.request(req('/b', 'GET', [['priority', 'u=5']]), {
    endStream: true,
    priority: { dependsOn: 3, weight: 256, exclusive: false },
  });
  pump(client.session, server.session);
  t.deepEqual(order, [7, 7, 9, 9]);
});

test('sendQueueDrained fires when a stream has framed all it had queued (without ending)', (t) => {
  const drained: number[] = [];
  const server = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') {
      s.respond(ev.streamId, [[':status', '200']]);
      s.sendData(ev.streamId, Buffer.alloc(20000));
    } else if (ev.type === 'sendQueueDrained') {
      drained.push(ev.streamId);
      if (drained.length === 1) s.sendData(ev.streamId, Buffer.alloc(10), true);
    }
  });
  const client = endpoint('client', {}, (ev, s) => {
    if (ev.type === 'dataReceived') s.consume(ev.streamId, ev.data.length);
  });
  client.session.request(req('/'), { endStream: true });
  pump(client.session, server.session);
  t.deepEqual(drained, [1]);
  t.is(client.session.streamCount, 0);
});
