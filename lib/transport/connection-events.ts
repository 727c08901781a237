/**
 * The typed events of an Http2Connection (connection.ts): what each listener is given.
 */
import type { Http2Stream } from './stream';

/** How the connection ended. */
export interface CloseInfo {
  /** The GOAWAY code that ended it (sent or received), NO_ERROR for a clean end, undefined if the socket just dropped. */
  errorCode: number | undefined;
  /** Who ended it. */
  by: 'local' | 'remote' | 'socket';
  /** A socket error, or the protocol error that made us send GOAWAY. */
  error?: Error;
}

/** Typed listener signatures of {@link Http2Connection}'s events. */
export interface ConnectionEvents {
  /** The peer opened a stream (a request, on a server). */
  stream: (stream: Http2Stream) => void;
  /** Every chunk read from the socket (the sniffed `rawPrefix` first), before the session sees it. */
  rawData: (chunk: Buffer) => void;
  /**
   * h2c upgrade only: the upgrade is applied (stream 1 exists on both sides) and the connection
   * is starting; frames queued by a listener follow our SETTINGS, ahead of anything read.
   */
  upgraded: () => void;
  /**
   * The connection is starting: what was already read (`readBeforeFirstFlight`) is handled and
   * nothing is written yet. Frames queued by a listener go out after our SETTINGS and the ACK of
   * the peer's SETTINGS if it came first: the order of nghttp's first flight.
   */
  firstFlight: () => void;
  /** A pushed stream was promised (client side); `parent` is the request it was promised on. */
  push: (stream: Http2Stream, parent: Http2Stream | undefined) => void;
  /** The peer's SETTINGS arrived (already applied and acknowledged). */
  settings: (settings: { id: number; value: number }[]) => void;
  /** The peer acknowledged our SETTINGS: they are in force now. */
  settingsAcknowledged: () => void;
  /** The peer's PING was answered; its opaque data. */
  ping: (opaqueData: Buffer) => void;
  /** The peer sent GOAWAY: streams above `lastStreamId` were not processed. */
  goaway: (errorCode: number, lastStreamId: number, debugData: Buffer) => void;
  /** The session ended (GOAWAY sent or received and nothing left in flight, or a connection error). */
  terminated: (errorCode: number, remote: boolean, error: Error | undefined) => void;
  /** The socket closed; what ended the connection. */
  close: (info: CloseInfo) => void;
  /** A socket or TLS error (a peer's normal close or reset is not one). */
  error: (err: Error) => void;
}
