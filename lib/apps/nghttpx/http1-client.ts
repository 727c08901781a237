/**
 * The client side of an HTTP/1.x frontend request: the answer written straight onto the socket
 * (status line and fields as one string, sent with the first body bytes; chunked when the answer
 * has no length; keep-alive decided per request), and the hand-written heads of tunnels.
 */
import { STATUS_CODES } from 'http';
import type * as net from 'net';
import { Writable } from 'stream';
import { writeChunk } from '../../transport/http1-body';
import { http1Name, http1TrailerSection } from './headers';
import { BodyRelay } from './relay';
import type { BodySource, ClientSide, Field } from './request';

/** What a client side tells its connection. */
export interface H1Owner {
  /** The answer is out (or given up): the connection goes on with the next request or ends. */
  answered(x: H1ClientSide): void;
}

/** Body chunks up to this size go out in one buffer with the head. */
const JOIN_WITH_HEAD = 16384;

const enum State {
  /** No head sent yet. */
  IDLE,
  /** Head given (maybe not yet written: it waits for the first body bytes). */
  BODY,
  DONE,
}

/**
 * The client side of one HTTP/1.x request. A class, since one is made per request; `relay` moves
 * a backend body onto the socket with no Readable or pipe.
 */
export class H1ClientSide implements ClientSide {
  private state = State.IDLE;
  /** The head, until it leaves with the first body bytes or the end. */
  private head: string | undefined;
  private chunked = false;
  /** No body may follow the head (HEAD, 1xx, 204, 304). */
  private noBody = false;
  private gone: (() => void) | undefined;
  /** The connection no longer serves this request (the client's next bytes were malformed). */
  private disowned = false;

  constructor(
    private readonly owner: H1Owner,
    /** Where the answer is written: the client's socket, or a rate-limited writer over it. */
    private readonly socket: Writable,
    private readonly headRequest: boolean,
    private readonly http10: boolean,
    /** @internal Whether the connection stays open after this answer (settled by respond()). */
    public keepAlive: boolean,
  ) {}

  /** @internal Whether no head has been given yet. */
  get unanswered(): boolean {
    return this.state === State.IDLE;
  }

  respond(status: number, out: Field[], endStream: boolean): void {
    if (this.state !== State.IDLE || this.disowned) return;
    this.state = State.BODY;
    const noBody = this.headRequest || status === 204 || status === 304 || status < 200;
    let keepAlive = this.keepAlive;
    let length = false;
    let chunked = false;
    let connection = false;
    let server = -1;
    for (let i = 0; i < out.length; i++) {
      const n = out[i][0];
      if (n === 'content-length') length = true;
      else if (n === 'transfer-encoding') chunked = true;
      else if (n === 'connection') {
        connection = true;
        if (/close/i.test(out[i][1])) keepAlive = false;
      } else if (n === 'server' && server < 0) server = i;
    }
    // A body without a length (an HTTP/1.0 client cannot take chunks) ends with the connection;
    // so does, as nghttpx, the answer to HEAD that names no length.
    if (!length && !chunked && !(status === 204 || status === 304 || status < 200)) keepAlive = false;
    this.keepAlive = keepAlive;
    this.noBody = noBody;
    this.chunked = chunked && !noBody;
    let h = `${this.http10 ? 'HTTP/1.0' : 'HTTP/1.1'} ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
    for (let i = 0; i < out.length; i++) {
      const f = out[i];
      // Where nghttpx writes it: after the backend's fields, before Server.
      if (i === server && !keepAlive && !connection) h += 'Connection: close\r\n';
      h += `${http1Name(f[0])}: ${f[1]}\r\n`;
    }
    if (server < 0 && !keepAlive && !connection) h += 'Connection: close\r\n';
    this.head = `${h}\r\n`;
    if (endStream) this.end();
  }

  /**
   * @internal Send body bytes (after respond()); false when the socket buffers past its mark
   * (wait for 'drain').
   */
  write(chunk: Buffer): boolean {
    if (this.state !== State.BODY || this.noBody || chunk.length === 0) return true;
    const s = this.socket;
    const head = this.head;
    this.head = undefined;
    if (this.chunked) return writeChunk(s, chunk, head);
    if (head === undefined) return s.write(chunk);
    if (chunk.length <= JOIN_WITH_HEAD) {
      // The head and a small body in one buffer: one write, one segment.
      const n = head.length;
      const b = Buffer.allocUnsafe(n + chunk.length);
      b.write(head, 0, 'latin1');
      chunk.copy(b, n);
      return s.write(b);
    }
    s.cork();
    s.write(head, 'latin1');
    const ok = s.write(chunk);
    s.uncork();
    return ok;
  }

  /**
   * @internal The answer is complete: a chunked body ends with the last chunk and `trailers` (as
   * nghttpx, whether or not the client said `TE: trailers`; a body of known length or an HTTP/1.0
   * client's loses them); the connection goes on.
   */
  end(trailers?: Field[]): void {
    if (this.state !== State.BODY) return;
    this.state = State.DONE;
    const tail = this.chunked ? http1TrailerSection(trailers, true) : '';
    const head = this.head;
    this.head = undefined;
    if (!this.disowned) {
      if (head !== undefined) this.socket.write(head + tail, 'latin1');
      else if (tail) this.socket.write(tail, 'latin1');
    }
    this.owner.answered(this);
  }

  writable(trailers?: () => Field[] | undefined): Writable {
    return new AnswerWriter(this, this.socket, trailers);
  }

  relay(source: BodySource, trailers: () => Field[] | undefined, done: (bytes: number, complete: boolean) => void): void {
    source.relayBody(new ResponseRelay(this, this.socket, source, trailers, done));
  }

  abort(): void {
    this.socket.destroy();
  }

  onClientGone(cb: () => void): void {
    this.gone = cb;
  }

  /** @internal The connection closed before the answer finished. */
  clientGone(): void {
    if (this.state === State.DONE) return;
    this.state = State.DONE;
    this.gone?.();
  }

  /** @internal The connection answers the client itself (a malformed request followed): this answer is dropped. */
  disown(): void {
    this.disowned = true;
    this.state = State.DONE;
    this.gone?.();
  }
}

/** `writable()`: a Writable over the answer, for bodies that come as Node streams (generated pages, CONNECT refusals). */
class AnswerWriter extends Writable {
  constructor(
    private readonly x: H1ClientSide,
    private readonly socket: Writable,
    private readonly trailers: (() => Field[] | undefined) | undefined,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.x.write(chunk) || this.socket.destroyed) return cb();
    const s = this.socket;
    const go = () => {
      s.off('drain', go);
      s.off('close', go);
      cb();
    };
    s.on('drain', go);
    s.on('close', go);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.x.end(this.trailers?.());
    cb();
  }
}

/** A backend body written to an HTTP/1.1 client (relay.ts): what the socket takes at once goes back to the source at once, the rest when it drains. */
class ResponseRelay extends BodyRelay {
  private cb: (() => void) | undefined;
  private readonly onDrain = (): void => {
    this.socket.off('drain', this.onDrain);
    this.socket.off('close', this.onDrain);
    const cb = this.cb;
    this.cb = undefined;
    cb?.();
  };

  constructor(
    private readonly x: H1ClientSide,
    private readonly socket: Writable,
    source: BodySource,
    private readonly trailers: () => Field[] | undefined,
    done: (bytes: number, complete: boolean) => void,
  ) {
    super(source, done);
  }

  protected send(chunk: Buffer): boolean {
    return this.x.write(chunk);
  }

  protected whenWritable(cb: () => void): void {
    this.cb = cb;
    this.socket.on('drain', this.onDrain);
    this.socket.on('close', this.onDrain);
  }

  protected finish(): boolean {
    this.x.end(this.trailers());
    return true;
  }
}

/**
 * The client side of a CONNECT or Upgrade request: the answer's head written by hand; after a 2xx
 * to CONNECT or a 101 the socket is one end of a tunnel, any other answer ends the connection.
 * Bytes for the client go to `sink` (the socket, or a rate-limited writer over it).
 */
export function tunnelClientSide(socket: net.Socket, connect: boolean, sink: Writable = socket): ClientSide {
  socket.on('error', () => undefined);
  // A tunnel idles as long as its backend allows (tunnels.ts), not by the request-head timeout.
  socket.setTimeout(0);
  let gone: (() => void) | undefined;
  socket.once('close', () => gone?.());
  return {
    respond: (status, out, endStream) => {
      let h = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
      // A 2xx to CONNECT has no body and switches the connection to a tunnel (RFC 9110 section 9.3.6);
      // so does a 101 to an Upgrade. Any other answer ends the connection.
      const tunnel = status === 101 || (connect && status >= 200 && status < 300);
      for (const [n, v] of out)
        if (!(status >= 200 && status < 300 && (n === 'content-length' || n === 'transfer-encoding'))) h += `${http1Name(n)}: ${v}\r\n`;
      if (!tunnel && !out.some(([n]) => n === 'connection')) h += 'Connection: close\r\n';
      sink.write(`${h}\r\n`);
      if (endStream) sink.end();
    },
    writable: () => sink,
    abort: () => socket.destroy(),
    onClientGone: (cb) => {
      gone = cb;
    },
    tunnel: () => ({ readable: socket, writable: sink }),
  };
}
