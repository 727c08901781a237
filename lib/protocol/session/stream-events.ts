/**
 * The stream events of a Session without a StreamHandler: each call becomes its event object,
 * handed to `onEvent` (the session always calls a StreamHandler; this is the default one).
 */
import type { HeaderField } from '../frame/types';
import type { SessionEvent, StreamHandler } from './types';

/** @internal A {@link StreamHandler} that hands each call to `onEvent` as its event object. */
export function eventsToHandler(onEvent: (ev: SessionEvent) => void): StreamHandler {
  return new EventObjects(onEvent);
}

/** The event objects of a session without a StreamHandler (one class: one hidden class). */
class EventObjects implements StreamHandler {
  constructor(private readonly onEvent: (ev: SessionEvent) => void) {}
  requestReceived(streamId: number, headers: HeaderField[], endStream: boolean): void {
    this.onEvent({ type: 'requestReceived', streamId, headers, endStream });
  }
  responseReceived(streamId: number, headers: HeaderField[], endStream: boolean, informational: boolean, blockLength: number): void {
    this.onEvent({ type: 'responseReceived', streamId, headers, endStream, informational, blockLength });
  }
  trailersReceived(streamId: number, headers: HeaderField[], blockLength: number): void {
    this.onEvent({ type: 'trailersReceived', streamId, headers, blockLength });
  }
  dataReceived(streamId: number, data: Buffer, flowControlledLength: number, endStream: boolean): void {
    this.onEvent({ type: 'dataReceived', streamId, data, flowControlledLength, endStream });
  }
  streamEnded(streamId: number): void {
    this.onEvent({ type: 'streamEnded', streamId });
  }
  streamReset(streamId: number, errorCode: number, remote: boolean, reason: string | undefined): void {
    // As before handlers existed: a reset by the peer has no `reason` key, one of ours always has.
    this.onEvent(
      remote ? { type: 'streamReset', streamId, errorCode, remote } : { type: 'streamReset', streamId, errorCode, remote, reason },
    );
  }
  streamClosed(streamId: number, errorCode: number): void {
    this.onEvent({ type: 'streamClosed', streamId, errorCode });
  }
}
