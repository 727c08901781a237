/**
 * The command line's stdout for a run: text goes to fd 1 with one `fs.writeSync` while that takes
 * it whole; after an error or a short write (EAGAIN on a full non-blocking pipe) the rest, and
 * every later text, goes through `process.stdout`, so the order holds.
 *
 * Why not `process.stdout` throughout: it is a Writable (a net.Socket on a pipe) like the
 * connections' sockets, and a 10% progress line written through it mid-run reached Node's
 * write path (writeOrBuffer, _write, onwrite), optimised by then for the sockets' hidden class
 * alone, with another class: deoptimised and compiled again, mid-run, every run.
 */
import fs = require('fs');
import type { RunIO } from './run';

/** A RunIO stdout over fd 1 (see the module comment). */
export function directStdout(): RunIO['stdout'] {
  let stream: NodeJS.WritableStream | undefined;
  return {
    isTTY: process.stdout.isTTY === true,
    write(text: string): boolean {
      if (stream !== undefined) return stream.write(text);
      const bytes = Buffer.from(text);
      let n = 0;
      try {
        n = fs.writeSync(1, bytes);
      } catch {
        // EAGAIN (nothing written), or an error process.stdout reports its own way (EPIPE).
      }
      if (n === bytes.length) return true;
      stream = process.stdout;
      return stream.write(bytes.subarray(n));
    },
  };
}
