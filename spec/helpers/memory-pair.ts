/** Two cross-wired Duplexes standing in for a socket pair: what one writes, the other reads. */
import { Duplex } from 'stream';

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
