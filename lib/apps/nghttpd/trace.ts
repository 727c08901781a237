/**
 * nghttpd's -v and --hexdump output for one connection: frames through the FramePrinter with the
 * `[id=N]` prefix, `stream_id=N closed`, `closed`, printed in the order nghttpd prints them.
 */
import type { Http2Connection } from '../../transport/connection';
import type { SessionEvent } from '../../protocol/session/types';
import type { HeaderField } from '../../protocol/frame/types';
import type { HeadersCategory } from '../../protocol/session/types';
import type { FramePrinter } from '../printer/printer';
import type { NghttpdOptions } from './options';

/** Print frames (-v), stream closes and incoming bytes (--hexdump) for one connection; returns the `closed` printer. */
export function attachPrinter(conn: Http2Connection, printer: FramePrinter, opts: NghttpdOptions): () => void {
  // Every byte read, the ones the listener read while sniffing first.
  if (opts.hexdump) conn.on('rawData', (chunk: Buffer) => printer.hexdump(chunk));
  if (!opts.verbose) return () => printer.closed();
  // The session reports a sent frame when its bytes go to the socket, after everything received
  // in the same read, which is when nghttpd prints it: every event prints as it comes.
  const info = (ev: { headers?: HeaderField[]; category?: HeadersCategory }) => ({ headers: ev.headers, category: ev.category });
  const print = (ev: SessionEvent) => {
    switch (ev.type) {
      case 'frameSent':
        printer.sent(ev.frame, info(ev));
        break;
      case 'frameReceived':
        printer.received(ev.frame, info(ev));
        break;
      case 'streamClosed':
        printer.streamClosed(ev.streamId);
        break;
      default:
        break;
    }
  };
  conn.events$.subscribe(print);
  return () => printer.closed();
}
