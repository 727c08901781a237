/**
 * nghttpd's -v and --hexdump output for one connection: frames through the FramePrinter with the
 * `[id=N]` prefix, `stream_id=N closed`, `closed`, printed in the order nghttpd prints them.
 */
import type { Http2Connection } from '../../transport/connection';
import type { SessionEvent } from '../../protocol/session/types';
import type { HeaderField } from '../../protocol/frame/types';
import { FramePrinter, HeadersCategory as PrinterCategory } from '../printer/printer';
import type { NghttpdOptions } from './options';

const CATEGORY: Record<string, PrinterCategory> = {
  request: 'request', response: 'response', push_response: 'push-response', headers: 'headers',
};

/** Print frames (-v), stream closes and incoming bytes (--hexdump) for one connection; returns the `closed` printer. */
export function attachPrinter(conn: Http2Connection, printer: FramePrinter, opts: NghttpdOptions, early: SessionEvent[]): () => void {
  if (opts.hexdump) {
    // The transport's onRawData is one callback per listener and skips the bytes it read while
    // sniffing, so: dump those (kept in the connection's options) and tap the socket after them.
    const sniffed = (conn as unknown as { opts?: { initialData?: Buffer } }).opts?.initialData;
    if (sniffed && sniffed.length) printer.hexdump(sniffed);
    conn.socket.on('data', (chunk: Buffer) => printer.hexdump(chunk));
  }
  if (!opts.verbose) return () => printer.closed();
  // The session reports a frame when it queues it; nghttpd prints it when it is written, after
  // everything received in the same read. So sent frames (and what follows them) wait for the
  // end of the current synchronous batch; received frames print at once.
  const pending: Array<() => void> = [];
  let scheduled = false;
  const drain = () => {
    scheduled = false;
    for (let i = 0; i < pending.length; i++) pending[i]();
    pending.length = 0;
  };
  const later = (fn: () => void) => {
    pending.push(fn);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(drain);
    }
  };
  const info = (ev: { headers?: HeaderField[]; category?: string }) => ({ headers: ev.headers, category: ev.category ? CATEGORY[ev.category] : undefined });
  const print = (ev: SessionEvent) => {
    switch (ev.type) {
      case 'frameSent':
        later(() => printer.sent(ev.frame, info(ev)));
        break;
      case 'frameReceived':
        printer.received(ev.frame, info(ev));
        break;
      case 'streamClosed':
        if (pending.length) later(() => printer.streamClosed(ev.streamId));
        else printer.streamClosed(ev.streamId);
        break;
      default:
        break;
    }
  };
  for (const ev of early) {
    if (ev.type === 'frameSent') printer.sent(ev.frame, info(ev));
  }
  conn.events$.subscribe(print);
  return () => {
    if (pending.length) later(() => printer.closed());
    else printer.closed();
  };
}
