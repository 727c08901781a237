/**
 * Stream lifecycle bookkeeping for a Session: closing a stream (concurrency counters, scheduler,
 * queued requests, closed-stream memory), the END_STREAM transitions of either side, and sending
 * the HEADERS of queued requests as concurrency slots free up. Free functions over the Session's
 * state; only session.ts calls them.
 */
import { ApiMisuseError, ErrorCode } from '../errors';
import type { HeaderField } from '../frame/types';
import { hasOutput } from './data-writer';
import type { Session } from './session';
import { NO_OUT, Stream } from './stream';
import { isViolation, StreamEvent, StreamState, transition } from './stream-state';
import type { CloseCause, RequestOptions } from './types';

/** @internal Close `s`: counters, scheduler and queues updated, `streamClosed` emitted. */
export function closeStream(session: Session, s: Stream, cause: CloseCause, code: number): void {
  if (!session.streams.delete(s.id)) return;
  if (s.state === StreamState.RESERVED_LOCAL) session.reservedLocal--;
  s.state = StreamState.CLOSED;
  if (s.counted) {
    s.counted = false;
    if (s.local) session.localActive--;
    else session.remoteActive--;
  }
  session.scheduler.closed(s);
  if (s.pendingHeaders !== null) {
    s.pendingHeaders = null;
    session.pendingOpen.removed(s);
  }
  // Window the application will never consume goes back to the connection.
  if (s.unackedConsumed > 0) s.unackedConsumed = 0;
  if (s.out !== NO_OUT) {
    s.out = NO_OUT;
    s.outHead = 0;
    s.outOffset = 0;
  }
  s.queued = 0;
  session.closedStreams.remember(s.id, cause);
  session.streamEvents.streamClosed(s.id, code);
  if (session.pendingOpen.length > 0) openPending(session);
  session.shutdown.maybeFinish();
}

/** @internal The peer's END_STREAM was processed on `s`. */
export function remoteEnded(session: Session, s: Stream): void {
  if (s.state === StreamState.CLOSED) return;
  const t = transition(s.state, StreamEvent.RECV_END_STREAM) as StreamState;
  s.state = t;
  if (session.counter === null) session.streamEvents.streamEnded(s.id);
  if (t === StreamState.CLOSED) closeStream(session, s, 'endStream', ErrorCode.NO_ERROR);
}

/** @internal Our side of `s` ended (END_STREAM sent). */
export function localEnded(session: Session, s: Stream): void {
  const t = transition(s.state, StreamEvent.SEND_END_STREAM);
  if (isViolation(t)) return;
  s.state = t;
  if (t === StreamState.CLOSED) closeStream(session, s, 'endStream', ErrorCode.NO_ERROR);
}

/** @internal Send the HEADERS of queued requests while concurrency slots are free. */
export function openPending(session: Session): void {
  const q = session.pendingOpen;
  const before = q.length;
  while (q.length > 0 && session.localActive < session.remoteSettings.maxConcurrentStreams && !session.closed) {
    const s = q.shift()!;
    const headers = s.pendingHeaders!;
    s.pendingHeaders = null;
    const end = s.pendingEndStream && s.queued === 0 && s.trailers === null;
    s.state = transition(StreamState.IDLE, StreamEvent.SEND_HEADERS) as StreamState;
    s.counted = true;
    session.localActive++;
    if (s.pendingPriority !== undefined) session.scheduler.setPriority(s.id, s.pendingPriority, s);
    session.sender.headers(s.id, headers, end, s.pendingPriority, 'request');
    if (end) {
      s.endQueued = false;
      localEnded(session, s);
    } else if (s.pendingEndStream) {
      s.endQueued = true;
    }
    if (s.state !== StreamState.CLOSED && hasOutput(s)) session.scheduler.add(s);
  }
  // A slot freed by a closing stream (or the server's SETTINGS) sent queued HEADERS: say so.
  if (q.length < before) session.wantWrite();
}

/**
 * @internal A client request stream with id `id`, its HEADERS pending (not yet counted or
 * scheduled). Throws ApiMisuseError for `:protocol` before the server allowed extended CONNECT.
 */
export function newRequestStream(session: Session, id: number, headers: HeaderField[], opts: RequestOptions): Stream {
  const s = new Stream(id, true, session.remoteSettings.initialWindowSize, session.flow.streamRecvWindowSize);
  s.pendingHeaders = headers;
  s.pendingEndStream = opts.endStream === true;
  s.pendingPriority = opts.priority ?? (opts.weight !== undefined ? { exclusive: false, dependsOn: 0, weight: opts.weight } : undefined);
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0];
    if (name.charCodeAt(0) !== 0x3a) break;
    if (name === ':method') s.headRequest = headers[i][1] === 'HEAD';
    // RFC 8441 section 4: a client uses :protocol only once the server sent
    // SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
    else if (name === ':protocol' && !session.remoteSettings.enableConnectProtocol) {
      throw new ApiMisuseError('request: :protocol (extended CONNECT) needs SETTINGS_ENABLE_CONNECT_PROTOCOL from the server');
    }
  }
  return s;
}
