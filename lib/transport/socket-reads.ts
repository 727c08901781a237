/**
 * Socket reads into one reused buffer: net's `onread` option, so that each read lands in the same
 * preallocated buffer instead of a fresh 64 KiB allocation pushed through a Readable. The chunks it
 * hands on are views of that buffer, valid only until the callback returns: whoever keeps bytes
 * past it (the deframer's partial frames, a stream's body queue) copies them. Cleartext `net`
 * sockets only: a TLS socket cannot read into a user buffer.
 */

/** Default size of the reused buffer: what Node allocates per read otherwise. */
export const DEFAULT_READ_BUFFER_SIZE = 65536;

/**
 * The `onread` half of a socket made with `net.connect({ ..., onread: reads.onread })`. Reads that
 * arrive before {@link SocketReads.attach} (between connecting and the connection's start) are
 * copied and kept; afterwards every read goes straight to the attached sink.
 */
export class SocketReads {
  /** Pass as net.connect's `onread` option. */
  readonly onread: { buffer: Buffer; callback: (nread: number, buf: Buffer) => boolean };
  private sink: ((chunk: Buffer) => void) | undefined;
  private early: Buffer[] = [];

  /**
   * `size`: of a buffer of its own; or a Buffer given, which several sockets of one thread may
   * share (each read is handed on, and done with, before the event loop starts another).
   */
  constructor(size: number | Buffer = DEFAULT_READ_BUFFER_SIZE) {
    this.onread = {
      buffer: typeof size === 'number' ? Buffer.allocUnsafe(size) : size,
      callback: (nread, buf) => {
        const view = buf.subarray(0, nread);
        if (this.sink !== undefined) this.sink(view);
        else this.early.push(Buffer.from(view));
        return true;
      },
    };
  }

  /**
   * From now on, hand each read to `sink` (a view of the reused buffer: copy what you keep).
   * Returns what was read before, in one buffer the caller owns, or null.
   */
  attach(sink: (chunk: Buffer) => void): Buffer | null {
    this.sink = sink;
    const early = this.early;
    this.early = [];
    if (early.length === 0) return null;
    return early.length === 1 ? early[0] : Buffer.concat(early);
  }
}
