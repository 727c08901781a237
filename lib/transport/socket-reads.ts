/**
 * Socket reads into one reused buffer: net's `onread` option, so that each read lands in the same
 * preallocated buffer instead of a fresh 64 KiB allocation pushed through a Readable. The chunks it
 * hands on are views of that buffer, valid only until the callback returns: whoever keeps bytes
 * past it (the deframer's partial frames, a stream's body queue) copies them. Cleartext `net`
 * sockets only: a TLS socket cannot read into a user buffer.
 */

/** Default size of the reused buffer: what Node allocates per read otherwise. */
export const DEFAULT_READ_BUFFER_SIZE = 65536;

/** The buffer this thread's shared-buffer sockets read into, made on first use. */
let threadBuffer: Buffer | undefined;

/**
 * One read buffer for every socket of this thread that reads into a shared one (servers' accepted
 * connections, h2load's clients, nghttpx's HTTP/1.1 backend connections): each read is handed on,
 * and done with, before the event loop reads another socket.
 */
export function threadReadBuffer(): Buffer {
  threadBuffer ??= Buffer.allocUnsafe(DEFAULT_READ_BUFFER_SIZE);
  return threadBuffer;
}

/** Size of the slabs {@link copyRead} cuts its copies from. */
const COPY_SLAB_SIZE = 32768;
/** Copies this long or longer get a buffer of their own (as Buffer.allocUnsafe's pool does past half its size). */
const COPY_OWN_MIN = COPY_SLAB_SIZE >>> 3;
let copySlab: Buffer | undefined;
let copyUsed = COPY_SLAB_SIZE;
/** The last buffer copied from and its ArrayBuffer (a typed array's `buffer` is a C++ call each time). */
let copyFrom: Buffer | undefined;
let copyFromAB: ArrayBufferLike | undefined;

/**
 * A copy of octets `start` to `end` of `buf` (bytes read into a reused buffer that must outlive
 * the read, such as a body chunk queued for a peer). Short copies are views cut from 32 KiB slabs
 * of this thread, 8-octet aligned: Buffer.allocUnsafe's 8 KiB pool is remade (a new ArrayBuffer,
 * a C++ call) every few KiB of such copies, and a copy out of a Buffer view needs a view of the
 * source first. A slab lives while any copy cut from it does.
 */
export function copyRead(buf: Buffer, start: number, end: number): Buffer {
  const n = end - start;
  if (buf !== copyFrom) {
    copyFrom = buf;
    copyFromAB = buf.buffer;
  }
  const src = new Uint8Array(copyFromAB!, buf.byteOffset + start, n);
  if (n >= COPY_OWN_MIN) {
    const own = Buffer.allocUnsafeSlow(n);
    own.set(src);
    return own;
  }
  let at = copyUsed;
  if (copySlab === undefined || at + n > COPY_SLAB_SIZE) {
    copySlab = Buffer.allocUnsafeSlow(COPY_SLAB_SIZE);
    at = 0;
  }
  copyUsed = (at + n + 7) & ~7;
  const out = copySlab.subarray(at, at + n);
  out.set(src);
  return out;
}

/** Who takes a SocketReads' reads (the connection itself: no closure per socket). */
export interface ReadSink {
  socketRead(chunk: Buffer): void;
}

/**
 * The `onread` half of a socket made with `net.connect({ ..., onread: reads.onread })`. Reads that
 * arrive before {@link SocketReads.attach} (between connecting and the connection's start) are
 * copied and kept; afterwards every read goes straight to the attached sink.
 */
export class SocketReads {
  private readonly buffer: Buffer;
  private readonly callback: (nread: number, buf: Buffer) => boolean;
  private sink: ReadSink | undefined;
  /** Reads before `attach` (made by the first: most sockets have none). */
  private early: Buffer[] | null = null;

  /**
   * `size`: of a buffer of its own; or a Buffer given, which several sockets of one thread may
   * share (each read is handed on, and done with, before the event loop starts another).
   */
  constructor(size: number | Buffer = DEFAULT_READ_BUFFER_SIZE) {
    this.buffer = typeof size === 'number' ? Buffer.allocUnsafe(size) : size;
    this.callback = (nread, buf) => {
      const view = buf.subarray(0, nread);
      if (this.sink !== undefined) this.sink.socketRead(view);
      else (this.early ?? (this.early = [])).push(Buffer.from(view));
      return true;
    };
  }

  /**
   * Pass as net.connect's `onread` option: a new object each time (the socket keeps its two
   * fields, not it; kept here it was 40 octets per connection).
   */
  get onread(): { buffer: Buffer; callback: (nread: number, buf: Buffer) => boolean } {
    return { buffer: this.buffer, callback: this.callback };
  }

  /**
   * From now on, hand each read to `sink.socketRead` (a view of the reused buffer: copy what you
   * keep). Returns what was read before, in one buffer the caller owns, or null.
   */
  attach(sink: ReadSink): Buffer | null {
    this.sink = sink;
    const early = this.early;
    this.early = null;
    if (early === null) return null;
    return early.length === 1 ? early[0] : Buffer.concat(early);
  }
}

/** The net.Socket internals {@link adoptSocketReads} needs, named by their symbols' descriptions. */
const ONREAD_SLOTS = ['kBuffer', 'kBufferCb'] as const;

/**
 * Switch a socket `net` made without `onread` (an accepted one: net.Server offers no `onread`
 * option) to read into `reads`' buffer from now on, as if it had been made with
 * `onread: reads.onread`: its reads no longer go through the Readable (no 'data', no fresh buffer
 * per read). This is what net.Socket's constructor does with `onread` (the handle's
 * `useUserBuffer` and the two slots its read callback checks), done after construction; it is
 * done only where those internals are found as expected, on a cleartext socket with nothing
 * buffered in its Readable, and returns false otherwise (the socket is left as it was: read it
 * through 'data').
 */
export function adoptSocketReads(socket: unknown, reads: SocketReads): boolean {
  const s = socket as {
    _handle?: { useUserBuffer?: (buf: Uint8Array) => void } | null;
    encrypted?: boolean;
    connecting?: boolean;
    destroyed?: boolean;
    readableLength?: number;
    [k: symbol]: unknown;
  };
  if (s === null || typeof s !== 'object' || s.encrypted || s.connecting || s.destroyed || s.readableLength !== 0) return false;
  const handle = s._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function') return false;
  const slots: symbol[] = [];
  for (const sym of Object.getOwnPropertySymbols(s)) {
    const i = ONREAD_SLOTS.indexOf(sym.description as (typeof ONREAD_SLOTS)[number]);
    if (i >= 0) slots[i] = sym;
  }
  if (slots[0] === undefined || slots[1] === undefined || s[slots[0]] !== null || s[slots[1]] !== null) return false;
  const onread = reads.onread;
  handle.useUserBuffer(onread.buffer);
  s[slots[0]] = onread.buffer;
  s[slots[1]] = onread.callback;
  return true;
}
