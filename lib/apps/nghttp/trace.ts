/**
 * nghttp's -v trace on top of the shared FramePrinter: what the reference prints, when it
 * prints it. Sent frames are printed when their bytes are taken for the socket (nghttp2's
 * on_frame_send), a header block split over CONTINUATION frames shows as one HEADERS line with
 * the total length, and a received DATA frame's line comes after its payload went to stdout
 * (nghttp2 calls the data-chunk callback before the frame callback).
 */
import { Flag, FrameType } from '../../protocol/frame/constants';
import { payloadLength, wireFlags, withPadding } from '../../protocol/frame/codec';
import type { Frame, HeaderField, HeadersFrame } from '../../protocol/frame/types';
import { FramePrinter, HeadersCategory } from '../printer/printer';

/** The session's category spelling (`push_response`) to the printer's (`push-response`). */
export function printerCategory(c: string | undefined): HeadersCategory | undefined {
  if (c === 'push_response' || c === 'push-response') return 'push-response';
  return c as HeadersCategory | undefined;
}

interface SentLine {
  frame: Frame;
  headers?: HeaderField[];
  category?: string;
}

/** Options of {@link NghttpTrace}. */
export interface NghttpTraceOptions {
  printer: FramePrinter;
  /** Print anything at all (-v or --json). */
  enabled: boolean;
  /** -b: the padding the session adds, for frames whose event does not say (fixed policy). */
  padding?: number;
  /** The peer's SETTINGS_MAX_FRAME_SIZE (bounds the padding). */
  maxFrameSize?: () => number;
  /** Hold DATA lines until their payload is written (text mode; JSON order does not matter). */
  holdData?: boolean;
}

/** The -v trace of one connection. */
export class NghttpTrace {
  private sendLines: SentLine[] = [];
  private heldHeaders: { frame: HeadersFrame; headers?: HeaderField[]; category?: string; length: number } | undefined;
  private heldData: Frame | undefined;

  constructor(private readonly opts: NghttpTraceOptions) {}

  get printer(): FramePrinter {
    return this.opts.printer;
  }

  /** A frame was queued for sending: it is printed at the next `flushSent()`. */
  sent(frame: Frame, headers?: HeaderField[], category?: string): void {
    if (this.opts.enabled) this.sendLines.push({ frame, headers, category });
  }

  /** The queued frames' bytes were taken for the socket: print them, in wire order. */
  flushSent(): void {
    // Without -v nothing was queued: no fresh array per frame sent.
    if (!this.opts.enabled) return;
    const lines = this.sendLines;
    this.sendLines = [];
    for (const l of lines) {
      const f = l.frame;
      if (f.type === FrameType.HEADERS && !(f.flags & Flag.END_HEADERS)) {
        // Its own length as sent (padding included), CONTINUATIONs are added as they come.
        const first = this.padded(f) as HeadersFrame;
        this.heldHeaders = { frame: first, headers: l.headers, category: l.category, length: first.length ?? payloadLength(first) };
        continue;
      }
      const h = this.heldHeaders;
      if (f.type === FrameType.CONTINUATION && h && h.frame.streamId === f.streamId) {
        h.length += f.length ?? payloadLength(f);
        if (f.flags & Flag.END_HEADERS) {
          this.heldHeaders = undefined;
          const first = h.frame;
          const flags = (first.length === undefined ? wireFlags(first) : first.flags) | Flag.END_HEADERS;
          this.opts.printer.sent({ ...first, flags, length: h.length }, { headers: h.headers, category: printerCategory(h.category) });
        }
        continue;
      }
      this.opts.printer.sent(this.padded(f), { headers: l.headers, category: printerCategory(l.category) });
    }
  }

  /** The frame as it went on the wire when the session's event left the padding out. */
  private padded(f: Frame): Frame {
    const pad = this.opts.padding ?? 0;
    if (pad <= 0 || (f.type !== FrameType.DATA && f.type !== FrameType.HEADERS)) return f;
    if ((f as HeadersFrame).padLength !== undefined || f.length !== undefined) return f;
    return withPadding(f, { fixed: pad }, { maxFrameSize: this.opts.maxFrameSize?.() ?? 16384 });
  }

  /** A frame arrived (its header lines, if any, print first, then the frame). */
  received(frame: Frame, headers?: HeaderField[], category?: string): void {
    if (!this.opts.enabled) return;
    this.releaseData();
    if (frame.type === FrameType.DATA && this.opts.holdData) {
      this.heldData = frame;
      return;
    }
    this.opts.printer.received(frame, { headers, category: printerCategory(category) });
  }

  /** Call before handling any other event: a held DATA line is due unless this is its payload. */
  beforeEvent(dataForStream?: number): boolean {
    const held = this.heldData;
    if (!held) return false;
    if (dataForStream === held.streamId) return true;
    this.releaseData();
    return false;
  }

  /** Print a held DATA line now (its payload has been written, or never will be). */
  releaseData(): void {
    const held = this.heldData;
    if (!held) return;
    this.heldData = undefined;
    this.opts.printer.received(held);
  }

  /** The connection is gone: print whatever is still pending. */
  end(): void {
    this.releaseData();
    this.flushSent();
  }
}
