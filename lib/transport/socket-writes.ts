/**
 * Socket writes straight to the handle while the socket's Writable has nothing queued. A
 * `socket.write()` goes through the Writable (its length, its callback, a tick after a write that
 * completed at once) and `net`'s `_writeGeneric`, which makes a new WriteWrap object per write
 * (a C++-backed object: ~900 instructions) even when the kernel takes every byte at once, as it
 * almost always does for a request head or a response. A {@link SocketWriter} hands the bytes to
 * the handle itself, with one WriteWrap per thread kept for every write that completes at once.
 *
 * The Writable's bookkeeping stays true: the direct path is taken only when the Writable holds
 * nothing (no bytes queued or being written, not corked, connected, not ended or destroyed), so a
 * write that completes at once leaves it exactly as `socket.write()` would have (`writableLength`
 * 0, no 'drain' owed; `bytesWritten` is the handle's count). A write the kernel does not take at
 * once stays queued in libuv, which keeps the order: later writes (through the Writable, counted
 * by `writableLength`, with 'drain' as usual) go out after it. Its bytes are counted by
 * {@link pendingDirectBytes} (the write timeouts add them) until it completes; as with
 * `socket.write()`, a write that leaves the high-water mark's worth or more waiting returns false
 * and 'drain' follows (once it has completed and the Writable is below the mark). A failed write
 * destroys the socket with the error, as `socket.write()` does. Where Node's internals are not
 * found as expected (or on a TLS socket), every write is a plain `socket.write()`.
 */
import type { Duplex } from 'stream';

/** The parts of a libuv stream handle this uses (net's TCP / Pipe handles). */
interface StreamHandle {
  writeLatin1String(req: WriteReq, data: string): number;
  writeBuffer(req: WriteReq, data: Uint8Array): number;
  writev(req: WriteReq, chunks: Uint8Array[], allBuffers: boolean): number;
}

/** A WriteWrap (the request object a handle's write takes), with the fields net's completion reads. */
interface WriteReq {
  handle: StreamHandle;
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  bytes: number;
  buffer: unknown;
  callback: unknown;
  writer: SocketWriter | undefined;
}

/** Node's stream_wrap binding: the WriteWrap constructor and the state a write leaves. */
interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
  kBytesWritten: number;
}

/** The socket fields the direct path checks (public or long-standing `net` ones). */
interface SocketState {
  _handle: StreamHandle | null;
  _unrefTimer?: () => void;
  connecting: boolean;
  destroyed: boolean;
  writable: boolean;
  writableLength: number;
  writableCorked: number;
  encrypted?: boolean;
}

/** The writer of each socket that has one (for {@link pendingDirectBytes}). */
const writers = new WeakMap<object, SocketWriter>();

/**
 * Bytes a {@link SocketWriter} wrote to `socket`'s handle that have not left yet (0 when none, or
 * no writer): what `writableLength` does not count.
 */
export function pendingDirectBytes(socket: object): number {
  return writers.get(socket)?.pending ?? 0;
}

let binding: StreamWrapBinding | null | undefined;

/**
 * Whether Node was asked to warn about pending deprecations (`--pending-deprecation` on its
 * command line or in NODE_OPTIONS, or NODE_PENDING_DEPRECATION=1): `process.binding()` then prints
 * a DEP0111 warning, which a tool's stderr must not carry for an internal shortcut.
 */
function pendingDeprecationWarnings(): boolean {
  const argv = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  return /(^|\s)--pending-deprecation(\s|$)/.test(argv) || process.env.NODE_PENDING_DEPRECATION === '1';
}

/**
 * Node's stream_wrap binding where it has what this needs and can be had without a warning, else
 * null (every write then plain).
 */
function streamWrap(): StreamWrapBinding | null {
  if (binding !== undefined) return binding;
  binding = null;
  if (pendingDeprecationWarnings()) return binding;
  try {
    // `stream_wrap` is on process.binding()'s allow-list of internal bindings (no warning).
    const b = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding('stream_wrap');
    if (
      typeof b.WriteWrap === 'function' &&
      b.streamBaseState instanceof Int32Array &&
      typeof b.kLastWriteWasAsync === 'number' &&
      typeof b.kBytesWritten === 'number'
    )
      binding = b as StreamWrapBinding;
  } catch {
    // no such binding: plain writes
  }
  return binding;
}

/** A write's error as `socket.write()` reports it (`code`, `errno`, `syscall`). */
function writeError(errno: number): Error {
  const util = require('util') as typeof import('util');
  const code = util.getSystemErrorName(errno);
  return Object.assign(new Error(`write ${code}`), { errno, code, syscall: 'write' });
}

/**
 * The WriteWrap of the last direct write that completed at once, free again: one for every writer
 * of the thread (a write takes it and puts it back before any other can run). One per socket was
 * ~0.14 KB per connection (the object and the fields set on it).
 */
let spareReq: WriteReq | undefined;

/** A direct write completed later (the kernel did not take it all at once). */
function onLateComplete(this: WriteReq, status: number): void {
  const w = this.writer;
  this.writer = undefined;
  this.buffer = null;
  w?.completed(status);
}

/** Writes to one socket, straight to its handle while the Writable is idle (see the module's doc). */
export class SocketWriter {
  private inflight = 0;
  /** The late write returned false: its completion emits 'drain' (unless the Writable will). */
  private owesDrain = false;
  private readonly b: StreamWrapBinding | null;

  /** `socket`: a `net.Socket` (any other Duplex, or a TLS socket, gets plain writes). */
  constructor(private readonly socket: Duplex) {
    const s = socket as unknown as SocketState;
    this.b = s.encrypted || !('_handle' in s) ? null : streamWrap();
    if (this.b !== null) writers.set(socket, this);
  }

  /** Bytes written to the handle whose write has not completed yet. */
  get pending(): number {
    return this.inflight;
  }

  /** The handle, when the direct path may be taken now. */
  private idleHandle(): StreamHandle | null {
    if (this.b === null || this.inflight > 0) return null;
    const s = this.socket as unknown as SocketState;
    const h = s._handle;
    if (h === null || s.connecting || s.destroyed || !s.writable || s.writableLength !== 0 || s.writableCorked !== 0) return null;
    return h;
  }

  private req(h: StreamHandle): WriteReq {
    let r = spareReq;
    spareReq = undefined;
    if (r === undefined) {
      r = new this.b!.WriteWrap();
      r.oncomplete = onLateComplete;
      r.async = false;
      r.bytes = 0;
      r.buffer = null;
      r.callback = null;
      r.writer = undefined;
    }
    r.handle = h;
    return r;
  }

  /** Write `data` as latin1 octets; returns what `socket.write()` would (false: wait for 'drain'). */
  writeLatin1(data: string): boolean {
    const h = this.idleHandle();
    if (h === null) return this.socket.write(data, 'latin1');
    const r = this.req(h);
    return this.after(r, h.writeLatin1String(r, data), null);
  }

  /** Write `data` (left unchanged until written); returns what `socket.write()` would. */
  writeBuffer(data: Uint8Array): boolean {
    const h = this.idleHandle();
    if (h === null) return this.socket.write(data);
    const r = this.req(h);
    return this.after(r, h.writeBuffer(r, data), data);
  }

  /**
   * Write `parts` in order as one write (left unchanged until written); returns whether the
   * socket's queue is below its high-water mark (false: wait for 'drain').
   */
  writev(parts: Uint8Array[]): boolean {
    const h = this.idleHandle();
    if (h === null) {
      const s = this.socket;
      s.cork();
      for (let i = 0; i < parts.length; i++) s.write(parts[i]);
      s.uncork();
      // write() says false once the corked bytes pass the high-water mark, whatever uncork then
      // managed to send: judge by what is still buffered ('drain' follows when it empties).
      return s.writableLength < s.writableHighWaterMark;
    }
    const r = this.req(h);
    return this.after(r, h.writev(r, parts, true), parts);
  }

  /**
   * End the socket after `data`, as `socket.end(data)` does, with `data` written as
   * {@link writeBuffer} writes it. Not through `socket.end(data)`: the Writable's own write path,
   * taken for the first time by the first connection to end (a GOAWAY), assigned its state's
   * `length` and a WriteWrap's `bytes` and `async` for the first time, and V8 threw away the
   * optimized code that had relied on them never changing (the connection's flush, writeBuffer,
   * idleHandle, net's onStreamRead) and compiled it again (h2load: at the run's highest heap).
   */
  end(data: Uint8Array | undefined): void {
    if (data !== undefined) this.writeBuffer(data);
    this.socket.end();
  }

  /** What a handle write left: `err` its result, `keep` what must live until it completes. */
  private after(r: WriteReq, err: number, keep: unknown): boolean {
    const b = this.b!;
    const s = this.socket as unknown as SocketState;
    if (err !== 0) {
      spareReq = r;
      this.socket.destroy(writeError(err));
      return false;
    }
    // What net does on every write: activity for the socket's idle timeout (setTimeout).
    s._unrefTimer?.();
    if (b.streamBaseState[b.kLastWriteWasAsync] === 0) {
      spareReq = r;
      return true;
    }
    // The kernel did not take it all: libuv holds the rest (and writes anything later after it).
    const bytes = b.streamBaseState[b.kBytesWritten];
    r.buffer = keep;
    r.writer = this;
    this.inflight = bytes > 0 ? bytes : 1;
    this.owesDrain = this.inflight >= this.socket.writableHighWaterMark;
    return !this.owesDrain;
  }

  /** @internal A late direct write completed with `status`. */
  completed(status: number): void {
    this.inflight = 0;
    const drain = this.owesDrain;
    this.owesDrain = false;
    const s = this.socket;
    if (s.destroyed) return;
    if (status < 0) {
      s.destroy(writeError(status));
      return;
    }
    (s as unknown as SocketState)._unrefTimer?.();
    // Bytes written since are in the Writable: at or past the mark, one of those writes returned
    // false and the Writable emits 'drain' when it empties; below it, writing may go on now.
    if (drain && s.writableLength < s.writableHighWaterMark) s.emit('drain');
  }
}
