/**
 * Inbound flow control (RFC 9113 section 6.9): the windows the peer sends DATA into, what the
 * application has consumed, and the WINDOW_UPDATEs that give consumed octets back, batched (one
 * per half window, as nghttp2 does).
 */
import type { ConnectionContext } from '../context';
import { ApiMisuseError, ConnectionError, ErrorCode } from '../errors';
import { DEFAULT_INITIAL_WINDOW_SIZE, MAX_WINDOW_SIZE } from '../frame/constants';
import type { Stream } from './stream';
import { StreamState } from './stream-state';

/** Who queues InboundFlow's WINDOW_UPDATEs (the session: an object, not a closure per connection). */
export interface WindowUpdateSender {
  /** Queue a WINDOW_UPDATE of `inc` on `streamId` (0 = the connection). */
  queueWindowUpdate(streamId: number, inc: number): void;
}

/** The windows; `sender` queues the WINDOW_UPDATEs. */
export class InboundFlow {
  /** Size of our connection receive window, to decide when to send WINDOW_UPDATE. */
  private connRecvWindowSize = DEFAULT_INITIAL_WINDOW_SIZE;
  private connUnackedConsumed = 0;
  /** The largest connection window granted so far (65535 plus every `setConnectionWindowSize` growth). */
  private connAdvertisedWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  /** DATA octets delivered to the application and not yet consumed (caps `consume`). */
  private connUnconsumed = 0;
  /** The stream receive window size new streams get (our INITIAL_WINDOW_SIZE, raised at send). */
  streamRecvWindowSize = DEFAULT_INITIAL_WINDOW_SIZE;

  constructor(
    /** The connection context: `recvWindow` is the octets the peer may still send on the connection. */
    private readonly ctx: ConnectionContext,
    private readonly sender: WindowUpdateSender,
  ) {}

  /**
   * Set our connection receive window to `n` (see Session.setConnectionWindowSize). Returns the
   * WINDOW_UPDATE increment to send now (0 for none).
   */
  setConnectionWindowSize(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > MAX_WINDOW_SIZE) throw new ApiMisuseError(`connectionWindowSize ${n} outside 0..2^31-1`);
    let inc = 0;
    if (n > this.connAdvertisedWindow) {
      inc = n - this.connAdvertisedWindow;
      this.ctx.recvWindow += inc;
      this.connAdvertisedWindow = n;
    } else if (n < this.connRecvWindowSize) {
      // The peer still holds the window it was granted: the octets it may send beyond `n` are
      // taken back as they arrive (consumed but never returned) before WINDOW_UPDATEs resume,
      // as nghttp2_session_set_local_window_size does with its "recv_reduction".
      this.connUnackedConsumed -= this.connRecvWindowSize - n;
    }
    this.connRecvWindowSize = Math.max(n, 1);
    return inc;
  }

  /** A DATA frame of `len` flow-controlled octets arrived: charge the connection window. */
  recvConnection(len: number): void {
    // RFC 9113 section 6.9.1: "A receiver MAY respond with a stream error (Section 5.4.2) or
    // connection error (Section 5.4.1) of type FLOW_CONTROL_ERROR if it is unable to accept a
    // frame." — a sender exceeding the connection window.
    if (len > this.ctx.recvWindow) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `DATA of ${len} octets exceeds the connection window ${this.ctx.recvWindow}`);
    }
    this.ctx.recvWindow -= len;
  }

  /** `n` octets of DATA reached the application on `s` (they wait for `consume`). */
  delivered(s: Stream, n: number): void {
    s.unconsumed += n;
    this.connUnconsumed += n;
  }

  /**
   * The application consumed `n` octets of stream `s`'s DATA (`s` undefined once the stream is
   * gone): release that much window.
   */
  consume(s: Stream | undefined, n: number): void {
    // Never release more than was delivered and not yet released: an over-eager caller must not
    // push the peer's window past what we granted (or past 2^31-1).
    if (n > this.connUnconsumed) n = this.connUnconsumed;
    if (n === 0) return;
    this.connUnconsumed -= n;
    this.releaseConnection(n);
    if (s === undefined) return;
    const m = n < s.unconsumed ? n : s.unconsumed;
    s.unconsumed -= m;
    this.releaseStream(s, m);
  }

  /**
   * DATA octets (padding included) received on `s` (undefined: the whole connection) and not yet
   * given back by a WINDOW_UPDATE, never below 0: nghttp2's "effective recv data length". A
   * connection window shrunk by `setConnectionWindowSize` starts below 0 (the octets taken back).
   */
  unacknowledged(s: Stream | undefined): number {
    const n = s === undefined ? this.connUnconsumed + this.connUnackedConsumed : s.unconsumed + s.unackedConsumed;
    return n > 0 ? n : 0;
  }

  /** Give `n` octets back to `s`'s window, with a WINDOW_UPDATE once enough has gathered. */
  releaseStream(s: Stream, n: number): void {
    // No WINDOW_UPDATE once the peer has ended its side: it will not send more.
    if (n <= 0 || s.state === StreamState.HALF_CLOSED_REMOTE || s.state === StreamState.CLOSED) return;
    s.unackedConsumed += n;
    if (s.unackedConsumed >= this.streamRecvWindowSize >>> 1 || s.unackedConsumed >= 65536) {
      const inc = s.unackedConsumed;
      s.unackedConsumed = 0;
      s.recvWindow += inc;
      this.sender.queueWindowUpdate(s.id, inc);
    }
  }

  /** Give `n` octets back to the connection window, with a WINDOW_UPDATE once half of it gathered. */
  releaseConnection(n: number): void {
    this.connUnackedConsumed += n;
    if (this.connUnackedConsumed >= this.connRecvWindowSize >>> 1) {
      const inc = this.connUnackedConsumed;
      this.connUnackedConsumed = 0;
      this.ctx.recvWindow += inc;
      this.sender.queueWindowUpdate(0, inc);
    }
  }

  /**
   * Our INITIAL_WINDOW_SIZE changes to `size`: a larger window may be used by the peer as soon as
   * it reads our SETTINGS (grow at send); a smaller one takes effect once the peer knows it
   * (shrink on ACK, from `ackedBefore`).
   */
  grow(streams: Iterable<Stream>, size: number): void {
    if (size <= this.streamRecvWindowSize) return;
    const delta = size - this.streamRecvWindowSize;
    for (const st of streams) st.recvWindow += delta;
    this.streamRecvWindowSize = size;
  }

  /** The peer ACKed a smaller INITIAL_WINDOW_SIZE: shrink open streams now. */
  shrink(streams: Iterable<Stream>, size: number, ackedBefore: number): void {
    const delta = size - Math.max(ackedBefore, this.streamRecvWindowSize);
    for (const st of streams) st.recvWindow += delta;
    this.streamRecvWindowSize = size;
  }
}
