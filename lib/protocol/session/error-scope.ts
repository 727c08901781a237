/**
 * The one place an error's scope is decided: everything the receive path throws or the state
 * table rules becomes a typed H2Error whose `scope` ('stream' | 'connection') and RFC code say
 * what happens (RST_STREAM for that stream, or GOAWAY), never its message text.
 */
import { ConnectionError, ErrorCode, H2Error, StreamError } from '../errors';
import { FrameType } from '../frame/constants';
import { StreamEvent, Violation } from './stream-state';

/**
 * The typed protocol error for anything thrown while processing input: H2Errors as they are,
 * anything else (a bug of ours) as a connection error INTERNAL_ERROR.
 */
export function toH2Error(err: unknown): H2Error {
  if (err instanceof H2Error) return err;
  return new ConnectionError(ErrorCode.INTERNAL_ERROR, `internal error: ${(err as Error)?.message ?? err}`);
}

/** Whether `err` resets one stream only (RFC 9113 section 5.4.2) rather than ending the connection. */
export function isStreamScoped(err: H2Error): err is StreamError {
  return err.scope === 'stream' && err.streamId !== 0;
}

/** A state-table violation on stream `id` as the typed error of its scope and code. */
export function violationError(v: Violation, id: number, message: string): H2Error {
  return v.scope === 'connection' ? new ConnectionError(v.code, message) : new StreamError(v.code, id, message);
}

/**
 * The stream-state input of a frame the codec rejected for one stream (PRIORITY, or a WINDOW_UPDATE
 * with increment 0), read from the error's `frameType`.
 */
export function receiveEventOf(err: StreamError): StreamEvent {
  return err.frameType === FrameType.WINDOW_UPDATE ? StreamEvent.RECV_WINDOW_UPDATE : StreamEvent.RECV_PRIORITY;
}
