/**
 * One stream's record inside a Session: its state, windows, outbound queue and HTTP bookkeeping.
 * Plain fields, one class, so V8 keeps a single hidden class for every stream.
 */
import type { HeaderField, PrioritySpec } from '../frame/types';
import { StreamState } from './stream-state';

/**
 * The outbound queue every stream starts with and returns to once it drained: never pushed to
 * (Session.sendData replaces it with a one-chunk array), so a stream whose DATA all left at once
 * costs no array.
 */
export const NO_OUT: Buffer[] = [];

/** Internal to the session: fields are mutated directly by Session and WriteScheduler. */
export class Stream {
  state: StreamState = StreamState.IDLE;
  /** Octets we may still send (peer's window for us); may go negative after a SETTINGS change. */
  sendWindow: number;
  /** Octets the peer may still send us. */
  recvWindow: number;
  /** Octets the application consumed that we have not yet returned with WINDOW_UPDATE. */
  unackedConsumed = 0;
  /** DATA octets delivered and not yet consumed by the application. */
  unconsumed = 0;

  /** Outbound DATA not yet framed: chunks from `outHead` on; `outOffset` into the first. */
  out: Buffer[] = NO_OUT;
  outHead = 0;
  outOffset = 0;
  /** Outbound octets queued. */
  queued = 0;
  /** END_STREAM goes out after the queued data. */
  endQueued = false;
  /** Trailers go out (with END_STREAM) after the queued data. */
  trailers: HeaderField[] | null = null;
  /** The stream is in the write scheduler's ready set. */
  scheduled = false;

  /** RFC 9218 urgency 0..7 (default 3) and incremental flag. */
  urgency = 3;
  incremental = false;
  /** RFC 7540 priority (dependency tree), when one was given. */
  priority: PrioritySpec | null = null;

  /** Counted against a MAX_CONCURRENT_STREAMS limit (open or half-closed). */
  counted = false;
  /** Initiated by us (client: odd ids; server: even ids = pushes). */
  readonly local: boolean;

  // HTTP bookkeeping (RFC 9113 section 8).
  /** Request headers seen (server) / final response seen (client). */
  headersDone = false;
  /** content-length of the incoming message, or -1. */
  contentLength = -1;
  /** DATA octets (padding excluded) received. */
  dataReceived = 0;
  /** Client: we sent a HEAD request, so the response has no body. */
  headRequest = false;
  /** Client: request headers waiting for a MAX_CONCURRENT_STREAMS slot (not yet sent). */
  pendingHeaders: HeaderField[] | null = null;
  pendingEndStream = false;
  pendingPriority: PrioritySpec | undefined = undefined;
  /** A pushed stream (promised by a PUSH_PROMISE). */
  pushed = false;
  /** Server: the final (non-1xx) response has been sent. */
  responded = false;

  constructor(
    readonly id: number,
    local: boolean,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.local = local;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }
}
