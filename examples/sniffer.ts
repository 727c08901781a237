/**
 * A custom HTTP/2 sniffer from the layers: a TCP proxy that forwards bytes untouched and prints
 * every frame both ways in nghttp's verbose format (or JSON lines with --json). h2c with prior
 * knowledge. Run: node dist/examples/sniffer.js 8080 127.0.0.1:3000, then nghttp -nv http://127.0.0.1:8080/
 */
import net from 'net';
import { FramePrinter, HeadersCategoryTracker, latin1Writer } from '../lib/apps/printer';
import { frameReaderTransform } from '../operators/layers';
import type { Frame } from '../lib/protocol/frame/types';

const [listenPort, upstream = ''] = process.argv.slice(2);
const [host, port] = upstream.split(':');
if (!listenPort || !port) throw new Error('usage: sniffer LISTEN_PORT UPSTREAM_HOST:PORT [--json]');

net.createServer((client) => {
  const server = net.connect(Number(port), host);
  const printer = new FramePrinter({ write: latin1Writer(process.stdout), json: process.argv.includes('--json'), color: process.stdout.isTTY });
  const categories = new HeadersCategoryTracker();
  const tap = (fromClient: boolean) => {
    // bytes -> frames -> whole field blocks -> header lists, one composed stage as a Transform.
    // A bystander cannot know the SETTINGS in force, so it accepts the largest legal values.
    const reader = frameReaderTransform({ expectPreface: fromClient, maxFrameSize: 16777215, hpack: { maxTableSize: 1 << 20 } });
    reader.on('data', (f: Frame) => {
      const info = { category: categories.categorize(f, fromClient) };
      if (fromClient) printer.sent(f, info);
      else printer.received(f, info);
    });
    reader.on('error', (err: Error) => printer.error(`${fromClient ? 'client' : 'server'} side: ${err.message}`));
    return reader;
  };
  client.pipe(server).pipe(client); // forward both ways untouched...
  client.pipe(tap(true)); // ...and read a copy of each direction
  server.pipe(tap(false));
  printer.connected();
  client.on('error', () => server.destroy());
  server.on('error', () => client.destroy());
}).listen(Number(listenPort), () => console.error(`sniffing 127.0.0.1:${listenPort} -> ${upstream}`));
