/**
 * The stream events' objects: {@link streamEvent} makes each kind from its StreamHandler call's
 * arguments (the one place that knows their shapes), and a Session without a StreamHandler hands
 * them to `onEvent` through {@link eventsToHandler}.
 */
import type { HeaderField } from '../frame/types';
import type { SessionEvent, StreamHandler } from './types';

/** @internal The event object of each StreamHandler call, from the call's arguments. */
export const streamEvent = {
  requestReceived: (streamId: number, headers: HeaderField[], endStream: boolean): SessionEvent => ({
    type: 'requestReceived',
    streamId,
    headers,
    endStream,
  }),
  responseReceived: (
    streamId: number,
    headers: HeaderField[],
    endStream: boolean,
    informational: boolean,
    blockLength: number,
  ): SessionEvent => ({ type: 'responseReceived', streamId, headers, endStream, informational, blockLength }),
  trailersReceived: (streamId: number, headers: HeaderField[], blockLength: number): SessionEvent => ({
    type: 'trailersReceived',
    streamId,
    headers,
    blockLength,
  }),
  dataReceived: (streamId: number, data: Buffer, flowControlledLength: number, endStream: boolean): SessionEvent => ({
    type: 'dataReceived',
    streamId,
    data,
    flowControlledLength,
    endStream,
  }),
  streamEnded: (streamId: number): SessionEvent => ({ type: 'streamEnded', streamId }),
  // As before handlers existed: a reset by the peer has no `reason` key, one of ours always has.
  streamReset: (streamId: number, errorCode: number, remote: boolean, reason: string | undefined): SessionEvent =>
    remote ? { type: 'streamReset', streamId, errorCode, remote } : { type: 'streamReset', streamId, errorCode, remote, reason },
  streamClosed: (streamId: number, errorCode: number): SessionEvent => ({ type: 'streamClosed', streamId, errorCode }),
};

/** @internal A {@link StreamHandler} that hands each call to `onEvent` as its event object. */
export function eventsToHandler(onEvent: (ev: SessionEvent) => void): StreamHandler {
  return new EventObjects(onEvent);
}

/** The event objects of a session without a StreamHandler (one class: one hidden class). */
class EventObjects implements StreamHandler {
  constructor(private readonly onEvent: (ev: SessionEvent) => void) {}
  requestReceived(streamId: number, headers: HeaderField[], endStream: boolean): void {
    this.onEvent(streamEvent.requestReceived(streamId, headers, endStream));
  }
  responseReceived(streamId: number, headers: HeaderField[], endStream: boolean, informational: boolean, blockLength: number): void {
    this.onEvent(streamEvent.responseReceived(streamId, headers, endStream, informational, blockLength));
  }
  trailersReceived(streamId: number, headers: HeaderField[], blockLength: number): void {
    this.onEvent(streamEvent.trailersReceived(streamId, headers, blockLength));
  }
  dataReceived(streamId: number, data: Buffer, flowControlledLength: number, endStream: boolean): void {
    this.onEvent(streamEvent.dataReceived(streamId, data, flowControlledLength, endStream));
  }
  streamEnded(streamId: number): void {
    this.onEvent(streamEvent.streamEnded(streamId));
  }
  streamReset(streamId: number, errorCode: number, remote: boolean, reason: string | undefined): void {
    this.onEvent(streamEvent.streamReset(streamId, errorCode, remote, reason));
  }
  streamClosed(streamId: number, errorCode: number): void {
    this.onEvent(streamEvent.streamClosed(streamId, errorCode));
  }
}
