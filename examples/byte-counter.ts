/**
 * A live per-stream byte counter from the RxJS operators: a TCP relay (h2c, prior knowledge) that
 * forwards bytes untouched and prints, for every DATA frame either way, the stream's running total.
 * Run: node dist/examples/byte-counter.js 8080 127.0.0.1:3000, then nghttp http://127.0.0.1:8080/
 */
import net from 'net';
import { filter, fromEvent, map, merge, Observable, scan, takeUntil } from 'rxjs';
import { Flag, FrameType } from '../lib/protocol/frame/constants';
import type { DataFrame, Frame } from '../lib/protocol/frame/types';
import { readFrames } from '../operators/layers';

const [listenPort, upstream = ''] = process.argv.slice(2);
const [host, port] = upstream.split(':');
if (!listenPort || !port) throw new Error('usage: byte-counter LISTEN_PORT UPSTREAM_HOST:PORT');

// A bystander cannot know the SETTINGS in force: the largest frames, field blocks left encoded.
const dataFrames = (socket: net.Socket, dir: string, expectPreface: boolean) =>
  (fromEvent(socket, 'data') as Observable<Buffer>).pipe(
    takeUntil(fromEvent(socket, 'close')),
    readFrames({ expectPreface, maxFrameSize: 16777215, hpack: false }),
    filter((f: Frame): f is DataFrame => f.type === FrameType.DATA),
    map((f) => ({ key: `${dir} stream ${f.streamId}`, n: f.data.length, end: (f.flags & Flag.END_STREAM) !== 0 })),
  );

net.createServer((client) => {
  const server = net.connect(Number(port), host);
  client.pipe(server).pipe(client);
  client.on('error', () => server.destroy());
  server.on('error', () => client.destroy());
  merge(dataFrames(client, '>', true), dataFrames(server, '<', false))
    .pipe(scan((acc, d) => ({ totals: acc.totals.set(d.key, (acc.totals.get(d.key) ?? 0) + d.n), last: d }), { totals: new Map<string, number>(), last: { key: '', n: 0, end: false } }))
    .subscribe({
      next: ({ totals, last }) => console.log(`${last.key}: ${totals.get(last.key)} bytes${last.end ? ' (END_STREAM)' : ''}`),
      error: (err: Error) => console.error(`byte-counter: ${err.message}`),
    });
}).listen(Number(listenPort), '127.0.0.1', () => console.error(`counting 127.0.0.1:${listenPort} -> ${upstream}`));
