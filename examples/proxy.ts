/**
 * An h2c reverse proxy from the layers: each side's bytes are read into frames with decoded header
 * lists and written back out re-encoded; responses gain `x-proxied: nghttp2-ts`, everything else
 * (SETTINGS, windows, push, padding, resets, GOAWAY) is carried as it is. One ConnectionContext per
 * connection joins its reading and writing layers: SETTINGS read on one side (table and frame
 * sizes) reconfigure the layers that write to that peer.
 * Run: node dist/examples/proxy.js 8080 127.0.0.1:3000, then nghttp -nv http://127.0.0.1:8080/
 */
import net from 'net';
import { ConnectionContext } from '../lib/protocol/context';
import { FrameType } from '../lib/protocol/frame/constants';
import type { Frame } from '../lib/protocol/frame/types';
import type { Stage } from '../lib/protocol/stage';
import { toTransform } from '../operators/adapt';
import { frameReaderTransform, frameWriterTransform } from '../operators/layers';

const [listenPort, upstream = ''] = process.argv.slice(2);
const [host, port] = upstream.split(':');
if (!listenPort || !port) {
  console.error('usage: proxy LISTEN_PORT UPSTREAM_HOST:PORT');
  process.exit(1);
}

/** The rewrite, as a stage: every response header section (`:status`) gains x-proxied. */
const markResponses = (): Stage<Frame, Frame> => ({
  push(f, emit) {
    const headers = f.type === FrameType.HEADERS && !('payload' in f) ? f.headers : undefined;
    if (headers?.some(([name]) => name === ':status')) headers.push(['x-proxied', 'nghttp2-ts']);
    emit(f);
  },
});

net.createServer((client) => {
  const server = net.connect(Number(port), host);
  // Frames are relayed as they come: no Nagle delay on small ones (WINDOW_UPDATE, SETTINGS ACK).
  client.setNoDelay(true);
  server.setNoDelay(true);
  const clientSide = new ConnectionContext();
  const serverSide = new ConnectionContext();
  // client bytes -> frames (HPACK-decoded) -> frames re-encoded for the server -> server
  const requests = [
    frameReaderTransform({ expectPreface: true, context: clientSide }),
    frameWriterTransform({ preface: true, context: serverSide }),
  ];
  // server bytes -> frames -> x-proxied on responses -> frames re-encoded for the client -> client
  const responses = [
    frameReaderTransform({ context: serverSide }),
    toTransform(markResponses),
    frameWriterTransform({ context: clientSide }),
  ];
  client.pipe(requests[0]).pipe(requests[1]).pipe(server);
  server.pipe(responses[0]).pipe(responses[1]).pipe(responses[2]).pipe(client);
  const close = (err?: Error) => {
    if (err) console.error(`proxy: ${err.message}`);
    client.destroy();
    server.destroy();
  };
  for (const s of [client, server, ...requests, ...responses]) s.on('error', close);
}).listen(Number(listenPort), '127.0.0.1', () => console.error(`proxying 127.0.0.1:${listenPort} -> ${upstream}`));
