/**
 * nghttpx's --backend-request-buffer and --backend-response-buffer, side by side with Debian's
 * nghttpx: a fast writer on one side, a reader on the other that stops. What the writer got into
 * its kernel before it stalled is the proxy's buffer plus the sockets' kernel buffers; the kernel
 * part is the same for both buffer sizes, so the difference between a 16 KiB and an 8 MiB buffer is
 * what the proxy itself held. Then the reader resumes and every byte must arrive.
 *
 * Not here: an HTTP/1.1 client that stops reading a response. Between the proxy and that client
 * two more kernel buffers grow on their own (4.6 MiB apart for the reference in one run where ours
 * was 7.8 MiB apart), so the difference says nothing; the bound is the same code as with an
 * HTTP/2 client (the HTTP/1.1 backend's relay hold).
 */
import test, { type ExecutionContext } from 'ava';
import * as net from 'net';
import { connect } from '../../../lib/transport';
import { both, HAS_REF } from './oracle-pair';

const t_ = HAS_REF ? test.serial : test.serial.skip;

const MiB = 1024 * 1024;
/** More than the 8 MiB buffer plus every kernel buffer on the way (about 4 MiB measured). */
const TOTAL = 32 * MiB;
const SMALL = '16K';
const LARGE = '8M';
/**
 * Bounds on the difference the 8 MiB buffer makes. The kernel's share moves by 1-2 MiB between
 * runs (differences of 7.2 to 8.9 MiB measured for both proxies), so the bounds only tell the
 * outcomes apart: a buffer not applied makes no difference, an unbounded one about 28 MiB.
 */
const AT_LEAST = 4 * MiB;
const AT_MOST = 13 * MiB;

/**
 * Polls `read` until it has not changed for `quietMs` (the writer stalled); bounded at 60 s.
 * The quiet period is long enough that a proxy descheduled on a loaded machine (load 30-40 here)
 * is not taken for one that stopped reading.
 */
async function stalled(read: () => number, quietMs = 4000): Promise<number> {
  const deadline = Date.now() + 60000;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const v = read();
    if (v !== last) {
      last = v;
      since = Date.now();
    } else if (v > 0 && Date.now() - since >= quietMs) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the writer never stalled (at ${last} bytes)`);
}

/** Each proxy's 8 MiB buffer held between AT_LEAST and AT_MOST more than its 16 KiB one. */
function expectHeld(t: ExecutionContext, points: Record<string, { small: number; large: number }>): void {
  t.log(JSON.stringify(points));
  for (const [who, p] of Object.entries(points)) {
    const held = p.large - p.small;
    t.true(held >= AT_LEAST && held <= AT_MOST, `${who}: an 8 MiB buffer held ${held} bytes more than a 16 KiB one`);
  }
}

/** Bytes a socket's kernel took (written minus what Node still queues). */
const accepted = (s: net.Socket) => s.bytesWritten - s.writableLength;

/** Writes TOTAL bytes of `chunk` to `s` as fast as it takes them, then `done`. */
function pump(s: net.Socket, done?: () => void): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  const more = () => {
    while (sent < TOTAL) {
      sent += chunk.length;
      if (!s.write(chunk)) return void s.once('drain', more);
    }
    done?.();
  };
  more();
}

/** A backend answering any request with TOTAL bytes as fast as its socket takes them; `socket` is its side of the last connection. */
async function fastBackend(): Promise<{ port: number; socket(): net.Socket | undefined; stop(): void }> {
  let last: net.Socket | undefined;
  const srv = net.createServer((s) => {
    last = s;
    s.on('error', () => undefined);
    s.once('data', () => {
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${TOTAL}\r\n\r\n`);
      pump(s);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    socket: () => last,
    stop: () => {
      last?.destroy();
      srv.close();
    },
  };
}

/**
 * A backend that reads a request's head, then stops reading until `resume()`; it answers 200 with
 * the body length it counted once Content-Length bytes arrived.
 */
async function stoppedBackend(): Promise<{ port: number; resume(): void; stop(): void }> {
  let last: net.Socket | undefined;
  const srv = net.createServer((s) => {
    last = s;
    s.on('error', () => undefined);
    let head = '';
    let want = -1;
    let got = 0;
    const onData = (d: Buffer) => {
      if (want < 0) {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        want = Number(/content-length: *(\d+)/i.exec(head.slice(0, end))?.[1] ?? 0);
        got = Buffer.byteLength(head, 'latin1') - end - 4;
        s.pause();
      } else got += d.length;
      if (got >= want) s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${String(got).length}\r\n\r\n${got}`);
    };
    s.on('data', onData);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    resume: () => last?.resume(),
    stop: () => {
      last?.destroy();
      srv.close();
    },
  };
}

/** Runs `scenario` through both proxies with a 16 KiB and an 8 MiB `option`; stall points by proxy and size. */
async function stallPoints(
  option: string,
  backendPort: number,
  scenario: (port: number) => Promise<number>,
): Promise<Record<'reference' | 'ours', { small: number; large: number }>> {
  const out = { reference: { small: 0, large: 0 }, ours: { small: 0, large: 0 } };
  for (const [key, size] of [
    ['small', SMALL],
    ['large', LARGE],
  ] as const) {
    const p = await both([`-b127.0.0.1,${backendPort}`, `--${option}=${size}`, '--backend-read-timeout=2m', '--backend-write-timeout=2m']);
    try {
      for (const x of p.proxies) out[x.name][key] = await scenario(x.port);
    } finally {
      await p.stop();
    }
  }
  return out;
}

t_('--backend-response-buffer: an HTTP/1.1 backend to an HTTP/2 client that stops reading (window spent)', async (t) => {
  const be = await fastBackend();
  try {
    const points = await stallPoints('backend-response-buffer', be.port, async (port) => {
      const c = await connect(`http://127.0.0.1:${port}/`);
      try {
        // The body is not read: 64 KiB of stream window, then the proxy holds what it buffers.
        const st = c.connection.request(
          [
            [':method', 'GET'],
            [':scheme', 'http'],
            [':authority', 'b'],
            [':path', '/'],
          ],
          { endStream: true },
        );
        const stall = await stalled(() => {
          const s = be.socket();
          return s ? accepted(s) : 0;
        });
        let got = 0;
        await new Promise<void>((resolve, reject) => {
          st.body.on('data', (d: Buffer) => (got += d.length));
          st.body.once('end', resolve);
          st.body.once('error', reject);
        });
        t.is(got, TOTAL, 'every byte arrives once the client reads');
        return stall;
      } finally {
        c.connection.destroy();
      }
    });
    expectHeld(t, points);
  } finally {
    be.stop();
  }
});

t_('--backend-request-buffer: an HTTP/1.1 client uploading to an HTTP/1.1 backend that stops reading', async (t) => {
  const be = await stoppedBackend();
  try {
    const points = await stallPoints('backend-request-buffer', be.port, async (port) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      try {
        await new Promise((r) => s.once('connect', r));
        s.write(`POST / HTTP/1.1\r\nHost: b\r\nContent-Length: ${TOTAL}\r\n\r\n`);
        let answer = '';
        s.on('data', (d: Buffer) => (answer += d.toString('latin1')));
        pump(s);
        const stall = await stalled(() => accepted(s));
        be.resume();
        await new Promise<void>((resolve) => {
          const check = () => (answer.endsWith(String(TOTAL)) ? resolve() : undefined);
          s.on('data', check);
          s.once('close', resolve);
          check();
        });
        t.true(
          answer.startsWith('HTTP/1.1 200') && answer.endsWith(`\r\n\r\n${TOTAL}`),
          `every byte reached the backend: ${answer.slice(0, 40)}...`,
        );
        return stall;
      } finally {
        s.destroy();
      }
    });
    expectHeld(t, points);
  } finally {
    be.stop();
  }
});

t_('an HTTP/2 client uploading is bounded by its stream window, not --backend-request-buffer (as the reference)', async (t) => {
  const be = await stoppedBackend();
  try {
    const points = await stallPoints('backend-request-buffer', be.port, async (port) => {
      const c = await connect(`http://127.0.0.1:${port}/`);
      try {
        const conn = c.connection;
        const sock = conn.socket as net.Socket;
        const st = conn.request([
          [':method', 'POST'],
          [':scheme', 'http'],
          [':authority', 'b'],
          [':path', '/'],
          ['content-length', String(TOTAL)],
        ]);
        const chunk = Buffer.alloc(64 * 1024, 0x62);
        let sent = 0;
        // One chunk at a time behind the stream's queue (whenWritable: at its low-water mark).
        const more = (err?: Error | null): void => {
          if (err || sent >= TOTAL) return;
          sent += chunk.length;
          st.sendData(chunk, sent >= TOTAL);
          st.whenWritable(more);
        };
        more();
        const stall = await stalled(() => accepted(sock));
        be.resume();
        let answer = '';
        await new Promise<void>((resolve, reject) => {
          st.body.on('data', (d: Buffer) => (answer += d.toString('latin1')));
          st.body.once('end', resolve);
          st.body.once('error', reject);
        });
        t.is(answer, String(TOTAL), 'every byte reached the backend');
        return stall;
      } finally {
        c.connection.destroy();
      }
    });
    t.log(JSON.stringify(points));
    for (const [who, p] of Object.entries(points)) {
      // (Both stall near 4 MiB: what the backend's kernel buffers took, plus the window; an
      // applied 8 MiB buffer would move it by about 8 MiB.)
      t.true(
        Math.abs(p.large - p.small) < 2 * MiB,
        `${who}: the buffer size moved an HTTP/2 upload's stall point by ${p.large - p.small} bytes`,
      );
    }
  } finally {
    be.stop();
  }
});
