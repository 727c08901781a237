/**
 * The seam between a Session and its receive collaborators: the connection state and the few
 * coordinating operations (stream errors, closing, ending) they may use. The Session implements
 * it; nothing outside lib/protocol/session sees it.
 */
import type { H2Error } from '../errors';
import type { Frame, HeaderField } from '../frame/types';
import type { HpackDecoder } from '../hpack/decoder';
import type { MessageInfo } from '../http/semantics';
import type { ClosedStreams } from './closed-streams';
import type { DataWriter } from './data-writer';
import type { FloodGuard } from './flood-guard';
import type { IdMap } from './id-map';
import type { InboundFlow } from './inbound-flow';
import type { WriteScheduler } from './scheduler';
import type { SettingsSync } from './settings-sync';
import type { Shutdown } from './shutdown';
import type { Stream } from './stream';
import type { CloseCause, RespondOptions, ResponseCounter, SessionEvent, SessionLimits, StreamHandler } from './types';

/** What the receive dispatch reads and calls on its Session. */
export interface SessionCore {
  readonly role: 'client' | 'server';
  readonly limits: SessionLimits;
  readonly frameEvents: boolean;
  /** SessionOptions.responseCounter, or null. */
  readonly counter: ResponseCounter | null;
  readonly closed: boolean;
  readonly streams: IdMap<Stream>;
  readonly closedStreams: ClosedStreams;
  readonly scheduler: WriteScheduler;
  readonly settings: SettingsSync;
  readonly flow: InboundFlow;
  readonly writer: DataWriter;
  readonly flood: FloodGuard;
  readonly shutdown: Shutdown;
  readonly decoder: HpackDecoder;
  /** Scratch for HTTP validation (reused: no allocation per message). */
  readonly info: MessageInfo;
  /** Highest stream id the peer opened (or promised, for a client). */
  lastPeerStreamId: number;
  /** Streams the peer initiated that count against our MAX_CONCURRENT_STREAMS. */
  remoteActive: number;
  now(): number;
  onEvent(ev: SessionEvent): void;
  /** The stream events' receiver: SessionOptions.streamHandler, or one building event objects for `onEvent`. */
  readonly streamEvents: StreamHandler;
  wantWrite(): void;
  /** Whether `id` would be initiated by the peer. */
  isPeerId(id: number): boolean;
  /** Whether `id` names a stream still idle (never opened by whoever owns its parity). */
  isIdle(id: number): boolean;
  /** Handle a protocol error by its scope: a stream error in place, a connection error thrown. */
  raise(err: H2Error): void;
  /** Handle any error now by its scope (a connection error queues GOAWAY); never throws. */
  fail(err: unknown): void;
  /** Queue a control frame (`ours`: the application asked for it, not the peer). */
  queueControl(f: Frame, ours?: boolean): void;
  /** A stream error: RST_STREAM queued, events emitted, the stream closed. Nothing else touched. */
  streamError(id: number, code: number, message: string): void;
  /** A stream the peer made us refuse or reset costs a reset token. */
  countReset(): void;
  resetStream(s: Stream, code: number, reason?: string): void;
  closeStream(s: Stream, cause: CloseCause, code: number): void;
  queueRst(id: number, code: number): void;
  /** The peer's END_STREAM was processed on `s`. */
  remoteEnded(s: Stream): void;
  respond(streamId: number, headers: HeaderField[], opts?: RespondOptions): void;
}
