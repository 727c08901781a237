/**
 * nghttp against a server that answers the first request and then says GOAWAY (last_stream_id =
 * that request's stream): what it prints, compared with the real /usr/bin/nghttp against the same
 * server. The reference prints "[ERROR] request URI failed: request HEADERS is not allowed" once
 * per request it never sent (the -m repeats waiting for a stream slot, and one submitted in the
 * read that carried the GOAWAY), nothing for the streams it had sent above last_stream_id, then
 * its summary line.
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'fs';
import * as net from 'net';
import { E, F, T, block, clientFrames, frame, headers, settings, u32 } from '../../helpers/wire';
import { runCmd, runOurs } from './helpers';

const C_NGHTTP = '/usr/bin/nghttp';
const test = (fs.existsSync(C_NGHTTP) ? anyTest : anyTest.skip) as TestFn<unknown>;

/**
 * An h2c server (MAX_CONCURRENT_STREAMS 100) that answers the first request with "ok" and, in the
 * same write, GOAWAY(`code`, last_stream_id = that stream); it reads until the client closes.
 */
async function goawayServer(code: number): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write(settings([[3, 100]]));
    let answered = false;
    socket.on(
      'data',
      clientFrames((type, flags, id) => {
        if (type === T.SETTINGS && !(flags & F.ACK)) socket.write(settings([], F.ACK));
        if (type === T.HEADERS && !answered) {
          answered = true;
          socket.write(
            Buffer.concat([
              headers(id, block([[':status', '200']]), F.END_HEADERS),
              frame(T.DATA, F.END_STREAM, id, Buffer.from('ok')),
              frame(T.GOAWAY, 0, 0, Buffer.concat([u32(id), u32(code)])),
            ]),
          );
        }
      }),
    );
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

for (const [m, code] of [
  [3, E.NO_ERROR],
  [300, E.NO_ERROR],
  [300, E.INTERNAL_ERROR],
] as const) {
  test.serial(
    `-n -m ${m}, GOAWAY ${code === E.NO_ERROR ? 'NO_ERROR' : 'INTERNAL_ERROR'} after the first answer: the reference's lines`,
    async (t) => {
      const s = await goawayServer(code);
      try {
        const c = await runCmd(C_NGHTTP, ['-n', '-m', String(m), s.url]);
        const o = await runOurs(['-n', '-m', String(m), s.url]);
        // 100 sent (the server's MAX_CONCURRENT_STREAMS), the first answered: m - 100 never sent.
        const notSent = Math.max(0, m - 100);
        const line = `[ERROR] request ${s.url} failed: request HEADERS is not allowed\n`;
        const summary = `Some requests were not processed. total=${m}, processed=1\n`;
        t.is(c.stderr + c.stdout, line.repeat(notSent) + summary, 'the reference');
        // Ours adds one line naming a GOAWAY error code (the reference prints none).
        const extra = code === E.NO_ERROR ? '' : `[ERROR] The server sent GOAWAY with INTERNAL_ERROR (last_stream_id=13)\n`;
        t.is(o.stderr + o.stdout, extra + line.repeat(notSent) + summary);
        // The reference exits 0 regardless; ours says 1 when a request was not processed.
        t.is(o.code, 1);
      } finally {
        await s.close();
      }
    },
  );
}
