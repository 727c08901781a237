/**
 * Shutdown (RFC 9113 section 6.8 and 5.4.1): GOAWAY sent and received, the graceful two-phase
 * shutdown of a server, draining, connection errors, and the one `connectionTerminated` event.
 */
import { ConnectionError, ErrorCode, H2Error } from '../errors';
import { FrameType } from '../frame/constants';
import type { Frame, GoawayFrame, PingFrame } from '../frame/types';
import type { DataWriter } from './data-writer';
import type { Stream } from './stream';
import type { CloseCause, SessionEvent } from './types';
import { unpinFields } from '../mutable-fields';

/** The largest stream identifier (2^31-1). */
export const MAX_STREAM_ID = 0x7fffffff;
/** Opaque data of the PING that ends phase one of a graceful shutdown. */
const SHUTDOWN_PING = Buffer.from('nghttp2s', 'latin1');

/** What Shutdown asks of the session that owns it. */
export interface ShutdownHost {
  readonly role: 'client' | 'server';
  /** Highest stream id the peer opened (or promised, for a client). */
  readonly lastPeerStreamId: number;
  /** Streams known (open, reserved or queued). */
  readonly streamCount: number;
  /** Client requests still waiting for a concurrency slot. */
  readonly pendingOpenCount: number;
  streamList(): Stream[];
  pendingOpenList(): Stream[];
  closeStream(s: Stream, cause: CloseCause, code: number): void;
  queueControl(f: Frame, ours?: boolean): void;
  wantWrite(): void;
  onEvent(ev: SessionEvent): void;
  now(): number;
}

/**
 * The `connectionTerminated` event. An instance of its own class, not an object literal: V8 gives
 * every literal with the same number of properties one root map, so a five-property literal whose
 * `type` is a string shared the `type` field of the five-property frames (SETTINGS, PING,
 * WINDOW_UPDATE, RST_STREAM, ...), whose `type` is a small integer. The first connection to end
 * turned that field from small integer to any value, and V8 threw away the optimized code that
 * reads frames (FrameReader.onFrame, the deframer's step, the session's frame handler) and
 * compiled it again at the end of the run (h2load -c 100 -m 1: at its highest heap).
 */
class ConnectionTerminated {
  // The keys in the order the literal had them (type first).
  readonly type = 'connectionTerminated';
  readonly errorCode: number;
  readonly lastStreamId: number;
  readonly remote: boolean;
  readonly error: Error | undefined;
  constructor(errorCode: number, lastStreamId: number, remote: boolean, error: Error | undefined) {
    this.errorCode = errorCode;
    this.lastStreamId = lastStreamId;
    this.remote = remote;
    this.error = error;
  }
}

/** GOAWAY state and the end of the connection; see the module comment. */
export class Shutdown {
  /** The connection is over: no more frames are processed or accepted. */
  ended = false;
  /** We queued a GOAWAY that ends the connection (a client's goaway(), a connection error). */
  terminating = false;
  /** Last stream id in the GOAWAY we sent (MAX_STREAM_ID in phase one), or -1. */
  goawaySentLastId = -1;
  /** The GOAWAY we sent is the last one (no phase two to come). */
  goawayFinal = false;
  /** Smallest last stream id of the GOAWAYs received, or -1. */
  goawayReceivedLastId = -1;
  private goawayStartedAt = 0;
  private terminatedEmitted = false;

  constructor(
    private readonly host: ShutdownHost,
    private readonly writer: DataWriter,
    private readonly timeoutMs: number,
  ) {
    // Assigned when the connection ends: mutable from the first session on (see mutable-fields).
    unpinFields(this, 'ended', 'terminating', 'goawaySentLastId', 'goawayFinal', 'terminatedEmitted');
  }

  /** A GOAWAY was sent or received: no new streams. */
  get goingAway(): boolean {
    return this.goawaySentLastId >= 0 || this.goawayReceivedLastId >= 0;
  }

  /** Session.goaway: see there. */
  goaway(errorCode: number, debugData: Buffer | undefined): void {
    const host = this.host;
    if (errorCode !== ErrorCode.NO_ERROR) {
      this.connectionError(
        new ConnectionError(errorCode, debugData ? debugData.toString('latin1') : 'connection closed by the application'),
      );
      return;
    }
    if (this.goawaySentLastId >= 0) {
      // Called again during phase one: do not wait for the PING any longer.
      if (!this.goawayFinal) this.sendFinalGoaway();
      host.wantWrite();
      return;
    }
    if (host.role === 'server') {
      this.goawayStartedAt = host.now();
      // RFC 9113 section 6.8: "A server that is attempting to gracefully shut down a connection
      // SHOULD send an initial GOAWAY frame with the last stream identifier set to 2^31-1 and a
      // NO_ERROR code. ... After allowing time for any in-flight stream creation (at least one
      // round-trip time), the server MAY send another GOAWAY frame with an updated last stream identifier."
      this.goawaySentLastId = MAX_STREAM_ID;
      host.queueControl(
        {
          type: FrameType.GOAWAY,
          flags: 0,
          streamId: 0,
          lastStreamId: MAX_STREAM_ID,
          errorCode: 0,
          debugData: debugData ?? Buffer.alloc(0),
        } as GoawayFrame,
        true,
      );
      host.queueControl({ type: FrameType.PING, flags: 0, streamId: 0, opaqueData: SHUTDOWN_PING } as PingFrame, true);
    } else {
      this.goawaySentLastId = host.lastPeerStreamId;
      this.goawayFinal = true;
      this.terminating = true;
      host.queueControl(
        {
          type: FrameType.GOAWAY,
          flags: 0,
          streamId: 0,
          lastStreamId: host.lastPeerStreamId,
          errorCode: 0,
          debugData: debugData ?? Buffer.alloc(0),
        } as GoawayFrame,
        true,
      );
      // Requests not yet sent will never be: refuse them now.
      for (const s of host.pendingOpenList()) host.closeStream(s, 'connection', ErrorCode.REFUSED_STREAM);
      this.maybeFinish();
    }
    host.wantWrite();
  }

  /** Phase one of a graceful shutdown ends when its PING is acknowledged (or times out in `tick`). */
  pingAcknowledged(opaqueData: Buffer): void {
    if (this.goawaySentLastId === MAX_STREAM_ID && !this.goawayFinal && opaqueData.equals(SHUTDOWN_PING)) this.sendFinalGoaway();
  }

  /** Timer: a peer that never answers the shutdown PING does not hold phase one open. */
  tick(nowMs: number): void {
    if (this.goawaySentLastId === MAX_STREAM_ID && !this.goawayFinal && nowMs - this.goawayStartedAt > this.timeoutMs) {
      this.sendFinalGoaway();
      this.host.wantWrite();
    }
  }

  /** The peer's GOAWAY. */
  recvGoaway(f: GoawayFrame): void {
    const host = this.host;
    const last = f.lastStreamId;
    // RFC 9113 section 6.8: "Endpoints MUST NOT increase the value they send in the last stream
    // identifier, since the peers might already have retried unprocessed requests on another
    // connection." A larger value than before is kept at the smaller one.
    const effective = this.goawayReceivedLastId >= 0 ? Math.min(this.goawayReceivedLastId, last) : last;
    this.goawayReceivedLastId = effective;
    host.onEvent({ type: 'goawayReceived', lastStreamId: last, errorCode: f.errorCode, debugData: f.debugData });
    // "... streams initiated by the sender of the GOAWAY ... with identifiers higher than the
    // identified last stream ... were not processed; the receiver can retry them."
    for (const s of host.streamList()) {
      if (s.local && s.id > effective) host.closeStream(s, 'connection', ErrorCode.REFUSED_STREAM);
    }
    if (f.errorCode !== ErrorCode.NO_ERROR) {
      this.terminate(f.errorCode, host.lastPeerStreamId, true, undefined);
      return;
    }
    this.maybeFinish();
  }

  /** The transport's input ended (Session.receiveEnd). */
  inputEnded(): void {
    this.terminate(
      ErrorCode.NO_ERROR,
      this.goawayReceivedLastId >= 0 ? this.goawayReceivedLastId : this.host.lastPeerStreamId,
      true,
      undefined,
    );
  }

  /** Fail the connection: GOAWAY with the code and last processed stream id, then terminated. */
  connectionError(err: H2Error, cause?: Error): void {
    if (this.ended) return;
    const host = this.host;
    this.writer.flushFinished();
    this.terminating = true;
    host.queueControl(
      {
        type: FrameType.GOAWAY,
        flags: 0,
        streamId: 0,
        lastStreamId: host.lastPeerStreamId,
        errorCode: err.code,
        debugData: Buffer.from(err.message.slice(0, 256), 'latin1'),
      } as GoawayFrame,
      true,
    );
    this.goawaySentLastId = host.lastPeerStreamId;
    this.goawayFinal = true;
    this.terminate(err.code, host.lastPeerStreamId, false, cause ?? err);
  }

  /** End the connection: close every stream, emit connectionTerminated once. */
  terminate(code: number, lastStreamId: number, remote: boolean, error: Error | undefined): void {
    if (this.ended) return;
    const host = this.host;
    this.ended = true;
    for (const s of host.streamList()) host.closeStream(s, 'connection', code === ErrorCode.NO_ERROR ? ErrorCode.CANCEL : code);
    if (!this.terminatedEmitted) {
      this.terminatedEmitted = true;
      host.onEvent(new ConnectionTerminated(code, lastStreamId, remote, error));
    }
    host.wantWrite();
  }

  /** After a graceful GOAWAY (sent or received): terminate once no stream remains. */
  maybeFinish(): void {
    if (this.ended) return;
    const host = this.host;
    const draining = this.goawayFinal || this.goawayReceivedLastId >= 0;
    if (!draining || host.streamCount > 0 || host.pendingOpenCount > 0) return;
    if (this.goawayReceivedLastId >= 0 && !this.goawayFinal) {
      this.terminate(ErrorCode.NO_ERROR, this.goawayReceivedLastId, true, undefined);
    } else {
      this.terminate(ErrorCode.NO_ERROR, this.goawaySentLastId, false, undefined);
    }
  }

  private sendFinalGoaway(): void {
    const host = this.host;
    this.goawayFinal = true;
    this.goawaySentLastId = host.lastPeerStreamId;
    host.queueControl(
      {
        type: FrameType.GOAWAY,
        flags: 0,
        streamId: 0,
        lastStreamId: host.lastPeerStreamId,
        errorCode: 0,
        debugData: Buffer.alloc(0),
      } as GoawayFrame,
      true,
    );
    host.wantWrite();
    // Streams above the last id were never opened by us (we ignored them), nothing to close.
    this.maybeFinish();
  }
}
