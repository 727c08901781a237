/**
 * A reset is the peer's normal behaviour, never a crash: a stream reset by either side, at each
 * point of its life (before the response, mid-response, mid-upload, after both ends), with a
 * body that is read, taken but not read, or never taken, and with no 'error' listener anywhere,
 * ends with 'aborted'/'close' on both sides and no uncaught error (an unheard 'error' would fail
 * this file). A listener that asks for errors gets a StreamClosedError with the code.
 */
import test from 'ava';
import { Readable } from 'stream';
import { finished } from 'stream/promises';
import { listen, Http2Listener } from '../../lib/transport/server';
import { connect } from '../../lib/transport/client';
import { Http2Stream, StreamClosedError } from '../../lib/transport/stream';
import { ErrorCode } from '../../lib/protocol/errors';
import { HTTP2Server, BaseRequestHandler } from '../../lib/server';
import { HTTP2Client } from '../../lib/client';

type Side = 'client' | 'server';
type When = 'before response' | 'mid-response' | 'mid-upload' | 'after end';
type Reader = 'reads' | 'takes' | 'never takes';

/** What one side's stream and body said. */
interface Seen {
  closeCode?: number;
  aborted?: number;
  bodyAborted?: number;
  bodyClosed: boolean;
  bodyEnded: boolean;
  bytes: number;
}

const GET = (path = '/'): [string, string][] => [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':authority', 'x'],
  [':path', path],
];
const POST = (path = '/'): [string, string][] => [
  [':method', 'POST'],
  [':scheme', 'http'],
  [':authority', 'x'],
  [':path', path],
];

/** Two turns of the event loop: long enough for any nextTick 'error' of a destroyed stream to fire. */
const turns = () => new Promise<void>((r) => setImmediate(() => setImmediate(r)));

/** Resolve when `pred` holds, polled on every event-loop turn; reject after `ms`. */
async function until(pred: () => boolean, what: string, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function watch(st: Http2Stream, reader: Reader): Seen {
  const seen: Seen = { bodyClosed: false, bodyEnded: false, bytes: 0 };
  st.on('aborted', (code: number) => (seen.aborted = code));
  st.on('close', (code: number) => (seen.closeCode = code));
  if (reader === 'never takes') return seen;
  const b = st.body;
  b.on('aborted', (code: number) => (seen.bodyAborted = code));
  b.on('close', () => (seen.bodyClosed = true));
  b.on('end', () => (seen.bodyEnded = true));
  if (reader === 'reads') b.on('data', (d: Buffer) => (seen.bytes += d.length));
  return seen;
}

let l: Http2Listener;
/** The server side of the scenario running now (set by each scenario before its request). */
let onServerStream: (st: Http2Stream) => void = () => undefined;
test.before(async () => {
  l = await listen({ host: '127.0.0.1', port: 0 }, (conn) => conn.on('stream', (st) => onServerStream(st)));
});
test.after.always(async () => {
  await l?.close();
});

async function scenario(by: Side, when: When, reader: Reader): Promise<{ client: Seen; server: Seen }> {
  const c = await connect(`http://127.0.0.1:${l.port}/`);
  try {
    let server: Seen | undefined;
    let sst: Http2Stream | undefined;
    onServerStream = (st) => {
      sst = st;
      server = watch(st, reader);
      if (when === 'mid-response' || when === 'after end') {
        st.respond([[':status', '200']]);
        st.sendData(Buffer.alloc(20000), when === 'after end');
      }
    };
    const upload = when === 'mid-upload';
    const cst = c.connection.request(upload ? POST() : GET(), { endStream: !upload });
    if (upload) cst.sendData(Buffer.alloc(20000));
    const client = watch(cst, reader);
    // Wait for the point in the stream's life where the reset is to happen.
    await until(() => sst !== undefined, 'the request at the server');
    if (when === 'mid-response') {
      await until(() => cst.responseHeaders.length > 0 && (reader !== 'reads' || client.bytes > 0), 'part of the response');
    } else if (when === 'mid-upload') {
      await until(() => reader !== 'reads' || server!.bytes > 0, 'part of the upload');
    } else if (when === 'after end') {
      await until(() => cst.closed && sst!.closed, 'both ends');
    }
    (by === 'client' ? cst : sst!).reset(ErrorCode.CANCEL);
    await until(() => client.closeCode !== undefined && server!.closeCode !== undefined, 'close on both sides');
    await turns();
    return { client, server: server! };
  } finally {
    await c.connection.close();
  }
}

const sides: Side[] = ['client', 'server'];
const whens: When[] = ['before response', 'mid-response', 'mid-upload', 'after end'];
const readers: Reader[] = ['reads', 'takes', 'never takes'];

for (const by of sides) {
  for (const when of whens) {
    for (const reader of readers) {
      test.serial(`reset by the ${by} ${when}, body ${reader}, no 'error' listener: 'aborted'/'close', no crash`, async (t) => {
        const { client, server } = await scenario(by, when, reader);
        if (when === 'after end') {
          // Nothing left to reset: both closed cleanly and nobody was told otherwise.
          t.is(client.closeCode, ErrorCode.NO_ERROR);
          t.is(server.closeCode, ErrorCode.NO_ERROR);
          t.is(client.aborted, undefined);
          t.is(server.aborted, undefined);
          if (reader === 'reads') t.true(client.bodyEnded);
          return;
        }
        t.is(client.closeCode, ErrorCode.CANCEL);
        t.is(server.closeCode, ErrorCode.CANCEL);
        t.is(client.aborted, ErrorCode.CANCEL, "the client's stream says 'aborted'");
        t.is(server.aborted, ErrorCode.CANCEL, "the server's stream says 'aborted'");
        if (reader !== 'never takes') {
          // The receiving bodies still open were cut short: told by 'aborted' and 'close', never 'end'.
          t.is(client.bodyAborted, ErrorCode.CANCEL);
          t.true(client.bodyClosed);
          t.false(client.bodyEnded);
          if (when === 'mid-upload') {
            t.is(server.bodyAborted, ErrorCode.CANCEL);
            t.true(server.bodyClosed);
            t.false(server.bodyEnded);
          }
        }
      });
    }
  }
}

test.serial('a listener that asks for errors gets StreamClosedError with the code; for await and finished() see it too', async (t) => {
  const c = await connect(`http://127.0.0.1:${l.port}/`);
  onServerStream = (st) => {
    st.respond([[':status', '200']]);
    st.sendData(Buffer.alloc(1000));
    setImmediate(() => st.reset(ErrorCode.REFUSED_STREAM));
  };
  const a = c.connection.request(GET(), { endStream: true });
  const err = await new Promise<Error>((resolve) => a.body.on('error', resolve));
  t.true(err instanceof StreamClosedError);
  t.is((err as StreamClosedError).errorCode, ErrorCode.REFUSED_STREAM);
  // A body taken only after the reset, iterated: the error, not a hang or a crash.
  const b = c.connection.request(GET(), { endStream: true });
  await new Promise((r) => b.once('close', r));
  await t.throwsAsync(
    async () => {
      for await (const _ of b.body) void _;
    },
    { instanceOf: StreamClosedError },
  );
  // Nobody listened when it was cut short; finished() asked later still learns of it.
  const d = c.connection.request(GET(), { endStream: true });
  const body = d.body;
  await new Promise((r) => d.once('close', r));
  await turns();
  await t.throwsAsync(finished(body), { instanceOf: StreamClosedError });
  await c.connection.close();
});

test.serial('sending on a stream the peer reset does nothing: respond, sendData, end, sendBody, writableBody', async (t) => {
  const c = await connect(`http://127.0.0.1:${l.port}/`);
  let sst: Http2Stream | undefined;
  onServerStream = (st) => (sst = st);
  const cst = c.connection.request(GET(), { endStream: true });
  await until(() => sst !== undefined, 'the request');
  cst.reset(ErrorCode.CANCEL);
  await until(() => sst!.closed, 'the reset at the server');
  const st = sst!;
  t.notThrows(() => st.respond([[':status', '200']]));
  t.notThrows(() => st.sendData(Buffer.from('x')));
  t.notThrows(() => st.end());
  const src = Readable.from([Buffer.from('a'), Buffer.from('b')]);
  await st.sendBody(src);
  t.true(src.destroyed, 'the body source is released');
  const w = st.writableBody();
  await new Promise<void>((r) => w.write(Buffer.from('late'), () => r()));
  await turns();
  t.true(w.destroyed);
  await c.connection.close();
});

test.serial('a server reset mid-upload ends the writer quietly: sendBody resolves, the source is destroyed', async (t) => {
  const c = await connect(`http://127.0.0.1:${l.port}/`);
  let got = 0;
  onServerStream = (st) => {
    st.body.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= 100000) st.reset(ErrorCode.CANCEL);
    });
  };
  const cst = c.connection.request(POST(), { endStream: false });
  let pulled = 0;
  const src = new Readable({
    read() {
      pulled += 16384;
      this.push(Buffer.alloc(16384));
    },
  });
  await cst.sendBody(src);
  t.true(src.destroyed);
  t.is(cst.errorCode, ErrorCode.CANCEL);
  t.true(pulled < 16 * 1024 * 1024, `pulled ${pulled}`);
  await c.connection.close();
});

test.serial('the connection dropping under open streams: both sides abort them, nobody crashes', async (t) => {
  const c = await connect(`http://127.0.0.1:${l.port}/`);
  let sst: Http2Stream | undefined;
  onServerStream = (st) => {
    sst = st;
    void st.body; // taken, not read, no listener
    st.respond([[':status', '200']]);
    st.sendData(Buffer.alloc(1000));
  };
  const cst = c.connection.request(POST(), { endStream: false });
  void cst.body;
  const w = cst.writableBody();
  w.write(Buffer.alloc(1000));
  await until(() => sst !== undefined && cst.responseHeaders.length > 0, 'the response');
  const aborted = new Promise<number>((r) => sst!.once('aborted', r));
  c.connection.socket.destroy();
  t.is(await aborted, ErrorCode.CANCEL);
  await until(() => cst.closed, 'the client stream to close');
  await turns();
  t.true(cst.body.destroyed);
  t.true(w.destroyed);
});

test.serial('HTTP2Server and HTTP2Client: a client that cancels mid-response costs nothing; handlers need no catch', async (t) => {
  let closed: number | undefined;
  let sendResolved = false;
  class H extends BaseRequestHandler {
    override onRequestDone(): void {
      let n = 0;
      const body = new Readable({
        read() {
          // An endless body: only the reset ends it.
          if (n++ < 100000) this.push(Buffer.alloc(16384));
        },
      });
      // Not awaited, not caught: a reset must not turn into an unhandled rejection.
      void this.sendResponse({ body }).then(() => (sendResolved = true));
    }
    override onClose(code: number): void {
      closed = code;
    }
  }
  const s = new HTTP2Server({ host: '127.0.0.1', port: 0 }, H);
  const port = await s.listen();
  const client = await HTTP2Client.connect(`http://127.0.0.1:${port}/`);
  const res = await client.request({ path: '/' });
  t.is(res.status, 200);
  // Nobody reads the body, nobody asks for the trailers: cancel.
  res.stream.reset(ErrorCode.CANCEL);
  await until(() => closed !== undefined && sendResolved, 'the handler to see the close');
  t.is(closed, ErrorCode.CANCEL);
  // The server resetting mid-body: text() rejects with the reason, nothing else is thrown.
  const res2 = await client.request({ path: '/' });
  const [sst] = [...[...s.connections][0].streams.values()];
  sst.reset(ErrorCode.INTERNAL_ERROR);
  const err = await t.throwsAsync(res2.text());
  t.is((err as StreamClosedError).errorCode, ErrorCode.INTERNAL_ERROR);
  await t.throwsAsync(res2.trailers());
  await turns();
  await client.close();
  await s.close();
});
