/**
 * A CONNECT tunnel (RFC 9113 section 8.5, RFC 8441) as one Node Duplex over an HTTP/2 stream:
 * reads are the peer's DATA (reading releases flow-control window, so a slow reader stops the
 * peer), writes become our DATA and complete only when the stream can take more (window granted,
 * bytes handed to the socket). Ending the writable side sends END_STREAM (a half-close: the peer
 * may go on sending); destroying the Duplex resets the stream.
 */
import { Duplex } from 'stream';
import { ErrorCode } from '../protocol/errors';
import type { Http2Stream } from './stream';
import { StreamClosedError } from './stream';

/** Options of {@link tunnelDuplex}. */
export interface TunnelOptions {
  /**
   * RST_STREAM code when the Duplex is destroyed with an error (default CONNECT_ERROR: RFC 9113
   * section 8.5, "a proxy ... MUST send a RST_STREAM frame with an error code of CONNECT_ERROR"
   * when the far side fails). Destroying without an error resets with CANCEL.
   */
  errorCode?: number;
}

/** The Duplex of one tunnel stream; `stream` is the HTTP/2 stream underneath. */
export class TunnelDuplex extends Duplex {
  private readonly source;

  constructor(
    readonly stream: Http2Stream,
    private readonly opts: TunnelOptions = {},
  ) {
    super({ allowHalfOpen: true });
    this.source = stream.body;
    this.source.pause();
    this.source.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.source.pause();
    });
    this.source.once('end', () => this.push(null));
    this.source.on('error', (err) => {
      // RST_STREAM(NO_ERROR): the peer closed the tunnel without an error (a proxy whose far end
      // closed does this): the read side ends, it does not fail.
      if (err instanceof StreamClosedError && err.errorCode === ErrorCode.NO_ERROR) this.push(null);
      else this.destroy(err);
    });
    // A clean close (both sides ended) needs nothing: what is queued still reads out. A reset ends
    // the Duplex in error.
    stream.once('close', (code: number) => {
      if (!this.destroyed && code !== ErrorCode.NO_ERROR) this.destroy(new StreamClosedError(stream.id, code));
    });
  }

  /**
   * A reset of the tunnel's stream (by the peer, or the connection ending) is the peer's normal
   * behaviour: its {@link StreamClosedError} reaches 'error' listeners only, as the body streams
   * of an Http2Stream do. Unheard, it still sets `errored`, and 'close' is emitted; `pipeline()`,
   * `finished()` and `for await` listen, so they see it. Any other error is emitted as usual.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && args[0] instanceof StreamClosedError && this.listenerCount('error') === 0) return false;
    return super.emit(event, ...args);
  }

  /**
   * End our side (END_STREAM) and, once written, close the stream with RST_STREAM(NO_ERROR) if the
   * peer has not ended its side: what a proxy does when the far end of the tunnel closed.
   */
  endAndClose(): void {
    this.end(() => {
      if (!this.stream.closed) this.stream.reset(ErrorCode.NO_ERROR);
    });
  }

  /** @internal Node stream plumbing. */
  override _read(): void {
    this.source.resume();
  }

  /** @internal Node stream plumbing. */
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.stream.closed || this.stream.localEnded) {
      cb(
        new StreamClosedError(
          this.stream.id,
          this.stream.errorCode ?? ErrorCode.STREAM_CLOSED,
          `tunnel stream ${this.stream.id} can no longer send`,
        ),
      );
      return;
    }
    try {
      this.stream.sendData(chunk, false);
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.stream.drained().then(() => cb(), cb);
  }

  /** @internal Node stream plumbing. */
  override _final(cb: (err?: Error | null) => void): void {
    try {
      if (!this.stream.closed) this.stream.end();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  /** @internal Node stream plumbing. */
  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (!this.stream.closed && !(this.stream.localEnded && this.stream.remoteEnded)) {
      const code = err
        ? err instanceof StreamClosedError
          ? ErrorCode.CANCEL
          : (this.opts.errorCode ?? ErrorCode.CONNECT_ERROR)
        : ErrorCode.CANCEL;
      this.stream.reset(code);
    }
    if (!this.source.destroyed && !this.source.readableEnded) this.source.destroy();
    cb(err);
  }
}

/** Wrap a stream whose tunnel is open (a 2xx was sent or received) into a Duplex. */
export function tunnelDuplex(stream: Http2Stream, opts?: TunnelOptions): TunnelDuplex {
  return new TunnelDuplex(stream, opts);
}
