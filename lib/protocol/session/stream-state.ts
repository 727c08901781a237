/**
 * RFC 9113 section 5.1 stream states as a transition table: state x event -> next state, or the
 * error (code + scope) the event is. Late frames on closed streams are decided by how the stream
 * closed (`lateFrameVerdict`).
 */
import { ErrorCode } from '../errors';
import type { CloseCause } from './types';

/** The seven stream states of RFC 9113 section 5.1. */
export const enum StreamState {
  IDLE = 0,
  RESERVED_LOCAL = 1,
  RESERVED_REMOTE = 2,
  OPEN = 3,
  HALF_CLOSED_LOCAL = 4,
  HALF_CLOSED_REMOTE = 5,
  CLOSED = 6,
}

/** Names for printing and tests. */
export const STREAM_STATE_NAMES = [
  'idle',
  'reserved (local)',
  'reserved (remote)',
  'open',
  'half-closed (local)',
  'half-closed (remote)',
  'closed',
] as const;

/** What happens to a stream: a frame received on it or sent on it. END_STREAM is its own event,
 *  applied after the HEADERS/DATA that carried it. */
export const enum StreamEvent {
  RECV_HEADERS = 0,
  RECV_DATA = 1,
  RECV_END_STREAM = 2,
  RECV_RST_STREAM = 3,
  RECV_WINDOW_UPDATE = 4,
  RECV_PRIORITY = 5,
  /** PUSH_PROMISE received on this stream (it is the associated stream). */
  RECV_PUSH_PROMISE = 6,
  /** This stream was promised by the peer's PUSH_PROMISE. */
  RECV_PROMISED = 7,
  SEND_HEADERS = 8,
  SEND_DATA = 9,
  SEND_END_STREAM = 10,
  SEND_RST_STREAM = 11,
  SEND_PUSH_PROMISE = 12,
  /** This stream is promised by our PUSH_PROMISE. */
  SEND_PROMISED = 13,
}

/** The number of StreamEvent values. */
export const STREAM_EVENT_COUNT = 14;

/** An illegal event: the RFC error code and whether it ends the stream or the connection. */
export interface Violation {
  code: number;
  scope: 'stream' | 'connection';
}

/** A table cell: the next state, or a Violation. `MISUSE` marks a local command in the wrong state. */
export type Transition = StreamState | Violation;

const CONN_PROTOCOL: Violation = Object.freeze({ code: ErrorCode.PROTOCOL_ERROR, scope: 'connection' });
const STREAM_CLOSED_ERR: Violation = Object.freeze({ code: ErrorCode.STREAM_CLOSED, scope: 'stream' });
const CONN_STREAM_CLOSED: Violation = Object.freeze({ code: ErrorCode.STREAM_CLOSED, scope: 'connection' });
/** A local command not allowed in this state: the Session throws ApiMisuseError. */
export const MISUSE: Violation = Object.freeze({ code: -1, scope: 'stream' });

const I = StreamState.IDLE,
  RL = StreamState.RESERVED_LOCAL,
  RR = StreamState.RESERVED_REMOTE,
  O = StreamState.OPEN;
const HL = StreamState.HALF_CLOSED_LOCAL,
  HR = StreamState.HALF_CLOSED_REMOTE,
  C = StreamState.CLOSED;
const P = CONN_PROTOCOL,
  SC = STREAM_CLOSED_ERR,
  X = MISUSE;

/*
 * Rows: states. Columns: StreamEvent in order
 *   rH    rD    rES   rRST  rWU   rPRI  rPP   rPROM  sH   sD   sES  sRST sPP  sPROM
 *
 * idle: "Receiving any frame other than HEADERS or PRIORITY on a stream in this state MUST be
 *   treated as a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
 * reserved (local): "Receiving any type of frame other than RST_STREAM, PRIORITY, or
 *   WINDOW_UPDATE on a stream in this state MUST be treated as a connection error of type PROTOCOL_ERROR."
 * reserved (remote): "Receiving any type of frame other than HEADERS, RST_STREAM, or PRIORITY on a
 *   stream in this state MUST be treated as a connection error of type PROTOCOL_ERROR."
 * half-closed (remote): "If an endpoint receives additional frames, other than WINDOW_UPDATE,
 *   PRIORITY, or RST_STREAM, for a stream that is in this state, it MUST respond with a stream
 *   error (Section 5.4.2) of type STREAM_CLOSED."
 * PUSH_PROMISE (6.6): "PUSH_PROMISE frames MUST only be sent on a peer-initiated stream that is in
 *   either the "open" or "half-closed (remote)" state." — seen from the receiver: open or
 *   half-closed (local); elsewhere a connection PROTOCOL_ERROR.
 * closed: decided by `lateFrameVerdict` (the cell below is only used for sends: misuse).
 */
const TABLE: readonly (readonly Transition[])[] = [
  /* idle   */ [O, P, X, P, P, I, P, RR, O, X, X, X, X, RL],
  /* res(L) */ [P, P, X, C, RL, RL, P, P, HR, X, X, C, X, X],
  /* res(R) */ [HL, P, X, C, P, RR, P, P, X, X, X, C, X, X],
  /* open   */ [O, O, HR, C, O, O, O, P, O, O, HL, C, O, X],
  /* h-c(L) */ [HL, HL, C, C, HL, HL, HL, P, X, X, X, C, X, X],
  /* h-c(R) */ [SC, SC, SC, C, HR, HR, P, P, HR, HR, C, C, HR, X],
  /* closed */ [SC, SC, SC, C, C, C, SC, P, X, X, X, C, X, X],
];

/** Look up the transition for `event` in `state`. */
export function transition(state: StreamState, event: StreamEvent): Transition {
  return TABLE[state][event];
}

/** Whether a transition cell is an error. */
export function isViolation(t: Transition): t is Violation {
  return typeof t === 'object';
}

/** What to do with a frame that arrives on a closed stream. */
export type LateVerdict = 'ignore' | Violation;

/**
 * RFC 9113 section 5.1, "closed", decided by how the stream closed:
 * - we sent RST_STREAM: "An endpoint MUST ignore frames that it receives on closed streams after
 *   it has sent a RST_STREAM frame." (DATA still counts toward the connection window; header
 *   blocks are still decoded — the Session does both before asking.)
 * - the peer sent RST_STREAM: "An endpoint that receives any frame other than PRIORITY after
 *   receiving a RST_STREAM MUST treat that as a stream error (Section 5.4.2) of type STREAM_CLOSED."
 * - both END_STREAMs: "An endpoint that receives any frames after receiving a frame with the
 *   END_STREAM flag set MUST treat that as a connection error (Section 5.4.1) of type
 *   STREAM_CLOSED" — except "WINDOW_UPDATE or RST_STREAM frames can be received in this state for
 *   a short period after a DATA or HEADERS frame containing an END_STREAM flag is sent".
 * - forgotten (closed long ago, or an idle stream implicitly closed by a higher id): HEADERS is
 *   a reused id (connection PROTOCOL_ERROR), DATA a connection STREAM_CLOSED; WINDOW_UPDATE,
 *   RST_STREAM and PRIORITY are ignored (they may legitimately race with the close).
 */
export function lateFrameVerdict(cause: CloseCause | undefined, event: StreamEvent): LateVerdict {
  if (event === StreamEvent.RECV_PRIORITY) return 'ignore';
  switch (cause) {
    case 'localReset':
    case 'connection':
      return 'ignore';
    case 'remoteReset':
      return event === StreamEvent.RECV_RST_STREAM ? 'ignore' : STREAM_CLOSED_ERR;
    case 'endStream':
      if (event === StreamEvent.RECV_WINDOW_UPDATE || event === StreamEvent.RECV_RST_STREAM) return 'ignore';
      return CONN_STREAM_CLOSED;
    default:
      if (event === StreamEvent.RECV_WINDOW_UPDATE || event === StreamEvent.RECV_RST_STREAM) return 'ignore';
      // RFC 9113 section 5.1.1: "An endpoint that receives an unexpected stream identifier MUST
      // respond with a connection error (Section 5.4.1) of type PROTOCOL_ERROR." (a HEADERS
      // reusing an old or skipped id)
      if (event === StreamEvent.RECV_HEADERS) return CONN_PROTOCOL;
      return CONN_STREAM_CLOSED;
  }
}
