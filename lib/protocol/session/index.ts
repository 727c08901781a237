/** The session layer's public surface: the sans-IO Session, its options, events and limits. */
export { Session } from './session';
export * from './types';
export { StreamState, StreamEvent, STREAM_STATE_NAMES, transition, lateFrameVerdict, isViolation } from './stream-state';
export type { Violation, Transition, LateVerdict } from './stream-state';
