/** Two cross-wired Duplexes standing in for a socket pair: what one writes, the other reads. */
import { Duplex } from 'stream';
import type { Http2Connection } from '../../lib/transport/connection';

export function memoryPair(): [Duplex, Duplex] {
  const mk = () => {
    let other: Duplex;
    const d = new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        other.push(chunk);
        cb();
      },
      final(cb) {
        other.push(null);
        cb();
      },
    });
    return { d, link: (o: Duplex) => (other = o) };
  };
  const a = mk();
  const b = mk();
  a.link(b.d);
  b.link(a.d);
  return [a.d, b.d];
}

/** GET `/` on a client connection (authority `mem`, no body); resolves to the whole response body as text. */
export async function getText(cli: Http2Connection): Promise<string> {
  const st = cli.request(
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'mem'],
      [':path', '/'],
    ],
    { endStream: true },
  );
  const chunks: Buffer[] = [];
  for await (const d of st.body) chunks.push(d as Buffer);
  return Buffer.concat(chunks).toString();
}
