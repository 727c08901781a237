/**
 * {@link SocketWriter}: writes straight to the socket's handle while its Writable holds nothing,
 * with the Writable's bookkeeping (writableLength, 'drain', bytesWritten) the same as after
 * `socket.write()`, order kept when the kernel does not take a write at once, and plain
 * `socket.write()` wherever the direct path may not be taken.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as net from 'net';
import * as path from 'path';
import { pendingDirectBytes, SocketWriter } from '../../lib/transport/socket-writes';

interface Pair {
  client: net.Socket;
  peer: net.Socket;
  close(): Promise<void>;
}

/** A connected TCP pair on 127.0.0.1 (the peer is the accepted side, paused). */
function pair(): Promise<Pair> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ pauseOnConnect: true });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.once('connection', (peer) => {
        const done = () =>
          new Promise<void>((r) => {
            client.destroy();
            peer.destroy();
            server.close(() => r());
          });
        resolve({ client, peer, close: done });
      });
      const client = net.connect(port, '127.0.0.1');
    });
  });
}

/** Counts the writes that went through the socket's Writable (its _write / _writev). */
function countWritableWrites(s: net.Socket): { n: number } {
  const c = { n: 0 };
  const sock = s as net.Socket & { _write: (...a: unknown[]) => void; _writev?: (...a: unknown[]) => void };
  const w = sock._write;
  sock._write = function (...a: unknown[]) {
    c.n++;
    return w.apply(this, a);
  };
  const wv = sock._writev;
  if (wv)
    sock._writev = function (...a: unknown[]) {
      c.n++;
      return wv.apply(this, a);
    };
  return c;
}

/** Read `n` bytes from `peer` (resuming it). */
function readN(peer: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    let have = 0;
    const onData = (d: Buffer) => {
      got.push(d);
      have += d.length;
      if (have >= n) {
        peer.off('data', onData);
        peer.pause();
        resolve(Buffer.concat(got));
      }
    };
    peer.on('data', onData);
    peer.once('error', reject);
    peer.resume();
  });
}

function connected(s: net.Socket): Promise<void> {
  return s.connecting ? new Promise((r) => s.once('connect', () => r())) : Promise.resolve();
}

/** A connected pair, a writer on the client side and a count of the client's 'drain' events. */
async function writerPair(): Promise<{ p: Pair; w: SocketWriter; drains: { n: number } }> {
  const p = await pair();
  await connected(p.client);
  const w = new SocketWriter(p.client);
  const drains = { n: 0 };
  p.client.on('drain', () => drains.n++);
  return { p, w, drains };
}

/**
 * Write with `write(i)` (returning the bytes it wrote and what the writer said) until a write is
 * not taken at once (the peer reads nothing, so the buffers fill): the bytes written, the last result.
 */
function untilLate(t: ExecutionContext, w: SocketWriter, write: (i: number) => [number, boolean]): { sent: number; last: boolean } {
  let sent = 0;
  let last = true;
  for (let i = 0; w.pending === 0; i++) {
    t.true(i < 4096, 'the kernel buffers filled');
    const [n, ok] = write(i);
    sent += n;
    last = ok;
  }
  return { sent, last };
}

test('an idle socket: each write goes to the handle, the Writable stays empty, bytesWritten counts it', async (t) => {
  const { p, w, drains } = await writerPair();
  const through = countWritableWrites(p.client);
  const head = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
  t.true(w.writeLatin1(head));
  t.is(p.client.writableLength, 0);
  t.true(w.writeBuffer(Buffer.from('\u00e9t\u00e9', 'latin1')));
  t.true(w.writeLatin1('caf\u00e9'));
  t.true(w.writev([Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')]));
  t.is(p.client.writableLength, 0);
  t.is(w.pending, 0);
  t.is(through.n, 0, 'no write went through the Writable');
  const total = head.length + 3 + 4 + 13;
  t.is(p.client.bytesWritten, total);
  const got = await readN(p.peer, total);
  t.is(got.toString('latin1'), `${head}\u00e9t\u00e9caf\u00e9one,two,three`);
  // A tick later: no 'drain' was owed.
  await new Promise((r) => setImmediate(r));
  t.is(drains.n, 0);
  await p.close();
});

test('end(data): the bytes go to the handle as writeBuffer sends them, then the socket ends (the peer reads them, then its end)', async (t) => {
  const { p, w } = await writerPair();
  const through = countWritableWrites(p.client);
  const finished = new Promise<void>((r) => p.client.once('finish', () => r()));
  w.end(Buffer.from('goaway'));
  t.is(through.n, 0, 'no write went through the Writable');
  t.true(p.client.writableEnded);
  await finished;
  const ended = new Promise<void>((r) => p.peer.once('end', () => r()));
  t.is((await readN(p.peer, 6)).toString(), 'goaway');
  p.peer.resume();
  await ended;
  // Without data: end() alone, as socket.end().
  const q = await writerPair();
  const qEnded = new Promise<void>((r) => q.p.peer.once('end', () => r()));
  q.w.end(undefined);
  q.p.peer.resume();
  await qEnded;
  t.is(q.p.client.bytesWritten, 0);
  await p.close();
  await q.p.close();
});

test('not idle (connecting, corked, bytes queued): plain socket.write(), order kept', async (t) => {
  const p = await pair();
  const w = new SocketWriter(p.client);
  const through = countWritableWrites(p.client);
  // Still connecting: the Writable holds it until the connect.
  t.true(p.client.connecting);
  w.writeLatin1('a');
  await connected(p.client);
  p.client.cork();
  w.writeLatin1('b');
  p.client.write('c');
  w.writev([Buffer.from('d'), Buffer.from('e')]);
  t.is(p.client.writableLength, 4);
  p.client.uncork();
  w.writeLatin1('f');
  const got = await readN(p.peer, 6);
  t.is(got.toString(), 'abcdef');
  t.true(through.n >= 2);
  await p.close();
});

test('a peer that does not read: the write the kernel does not take waits in libuv, later writes go after it, all arrive in order with drain', async (t) => {
  const { p, w, drains } = await writerPair();
  const hash = crypto.createHash('sha256');
  const chunk = Buffer.alloc(256 * 1024);
  const late = untilLate(t, w, (i) => {
    chunk.fill(i & 0xff);
    hash.update(chunk);
    // The writer holds the caller's buffer until the write is done: a fresh one per write.
    return [chunk.length, w.writeBuffer(Buffer.from(chunk))];
  });
  let sent = late.sent;
  t.true(w.pending > 0);
  t.false(late.last, 'more than the high-water mark waits');
  t.is(pendingDirectBytes(p.client), w.pending, 'what the write timeouts add to writableLength');
  // Now a socket.write() and a writer write wait in the Writable behind the late write.
  const more = Buffer.alloc(64 * 1024, 0xab);
  const ok = p.client.write(more);
  hash.update(more);
  sent += more.length;
  t.false(ok, 'past the high-water mark');
  t.true(p.client.writableLength >= more.length);
  t.false(w.writeLatin1('tail'));
  hash.update('tail', 'latin1');
  sent += 4;
  // The peer reads everything: the late write completes, the queue follows, 'drain' comes.
  const drained = new Promise<void>((r) => p.client.once('drain', () => r()));
  const got = await readN(p.peer, sent);
  await drained;
  t.is(got.length, sent);
  t.is(crypto.createHash('sha256').update(got).digest('hex'), hash.digest('hex'));
  t.is(w.pending, 0);
  t.is(pendingDirectBytes(p.client), 0);
  t.is(p.client.writableLength, 0);
  t.true(drains.n >= 1);
  t.is(p.client.bytesWritten, sent);
  // Idle again: the next write is direct again.
  const through = countWritableWrites(p.client);
  w.writeLatin1('x');
  t.is(through.n, 0);
  t.is((await readN(p.peer, 1)).toString(), 'x');
  await p.close();
});

test('a destroyed socket: the write is refused as socket.write() refuses it (false, nothing thrown or sent)', async (t) => {
  const p = await pair();
  await connected(p.client);
  const w = new SocketWriter(p.client);
  const errs: Error[] = [];
  p.client.on('error', (e) => errs.push(e));
  p.client.destroy();
  const before = p.client.bytesWritten;
  t.false(w.writeLatin1('late'));
  t.false(w.writeBuffer(Buffer.from('late')));
  await new Promise((r) => setImmediate(r));
  t.is(p.client.bytesWritten, before);
  t.deepEqual(errs, []);
  await p.close();
});

test('a socket whose peer reset the connection: the write error destroys it with the errno code', async (t) => {
  const p = await pair();
  await connected(p.client);
  const w = new SocketWriter(p.client);
  // Our side stops reading, so the reset shows only on a write.
  p.client.pause();
  const closed = new Promise<void>((r) => p.peer.once('close', () => r()));
  p.peer.resetAndDestroy();
  await closed;
  const errs: (Error & { code?: string; syscall?: string })[] = [];
  p.client.on('error', (e) => errs.push(e));
  // The first write after a reset may still be taken by the kernel; a later one fails.
  for (let i = 0; i < 100 && !p.client.destroyed; i++) {
    w.writeLatin1('x'.repeat(1024));
    await new Promise((r) => setImmediate(r));
  }
  t.true(p.client.destroyed);
  await new Promise((r) => setImmediate(r));
  t.is(errs.length, 1);
  t.true(['EPIPE', 'ECONNRESET'].includes(errs[0].code ?? ''), errs[0].code);
  t.is(errs[0].syscall, 'write');
  await p.close();
});

test('a late direct write past the high-water mark, nothing written after it: false, then one drain once it completes', async (t) => {
  const { p, w, drains } = await writerPair();
  const { sent, last } = untilLate(t, w, (i) => [128 * 1024, w.writev([Buffer.alloc(64 * 1024, i), Buffer.alloc(64 * 1024, i + 1)])]);
  t.false(last);
  t.is(p.client.writableLength, 0, 'nothing in the Writable');
  const drained = new Promise<void>((r) => p.client.once('drain', () => r()));
  const got = await readN(p.peer, sent);
  await drained;
  t.is(got.length, sent);
  t.is(drains.n, 1);
  t.is(w.pending, 0);
  await p.close();
});

test('with --pending-deprecation the direct path is not taken: no DEP0111 warning on stderr, the bytes still arrive', (t) => {
  const mod = path.join(__dirname, '../../lib/transport/socket-writes.js');
  // A child Node: a TCP pair, one SocketWriter write, the peer prints what it read.
  const script = `
    const net = require('net');
    const { SocketWriter } = require(${JSON.stringify(mod)});
    const server = net.createServer((peer) => peer.once('data', (d) => { process.stdout.write(String(d)); peer.destroy(); server.close(); }));
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1', () => { new SocketWriter(c).writeLatin1('hello'); c.end(); });
    });`;
  const ways: [string[], NodeJS.ProcessEnv][] = [
    [['--pending-deprecation'], {}],
    [[], { NODE_OPTIONS: '--pending-deprecation' }],
    [[], { NODE_PENDING_DEPRECATION: '1' }],
  ];
  for (const [flags, env] of ways) {
    const r = spawnSync(process.execPath, [...flags, '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10000 });
    const how = JSON.stringify({ flags, env });
    t.is(r.stdout, 'hello', how);
    t.notRegex(r.stderr, /DEP0111|process\.binding/, how);
  }
});
