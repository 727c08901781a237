/**
 * The frame codec: pure parse and encode of every RFC 9113 frame type plus ALTSVC, ORIGIN and
 * PRIORITY_UPDATE, as tables of per-type functions indexed by the type octet.
 *
 * The codec enforces the *frame-local* rules, those decidable from one frame alone: our
 * SETTINGS_MAX_FRAME_SIZE, fixed and minimum lengths, stream-id-zero rules, padding not longer
 * than the payload, SETTINGS values, zero window increments, self-dependency, promised or
 * prioritized stream 0. It does not know, and leaves to others:
 * - HeaderBlockAssembler: CONTINUATION sequencing across frames (section 6.10), block limits.
 * - the session (state-dependent): stream states (section 5.1: frames on idle or closed streams,
 *   HEADERS/DATA on half-closed streams), stream id parity and ordering (5.1.1), concurrency,
 *   PUSH_PROMISE allowed at all (ENABLE_PUSH, client side only) and whether the promised id is
 *   usable, flow-control windows (DATA beyond a window, WINDOW_UPDATE or INITIAL_WINDOW_SIZE
 *   overflowing 2^31-1), the first frame being SETTINGS, SETTINGS ACK timing, a change of
 *   ENABLE_CONNECT_PROTOCOL from 1 to 0 or of NO_RFC7540_PRIORITIES, GOAWAY last-stream-id going
 *   up, and the HTTP rules of section 8 on decoded field lists.
 *
 * Parsed payload fields (`data`, `fragment`, `debugData`, `opaqueData`, `payload`) are views into
 * the buffer given to `parseFrame`: no copies.
 */
export * from './parse';
export * from './encode';
export type { PaddingPolicy } from './padding';
