/**
 * The frame layer (RFC 9113 sections 4 and 6), pure: wire constants, the frame types, one codec
 * for every frame type (padding inside DATA, HEADERS and PUSH_PROMISE), the incremental deframer
 * (bytes -> frames), header-block assembly and CONTINUATION splitting, and the composed
 * reading/writing pipelines that put HPACK on top.
 *
 * ```text
 *   bytes ──deframer──> frames ──header-block──> whole field blocks ──HPACK──> header lists ──> session
 *   bytes <──encoder─── frames <──split────────── field blocks       <──HPACK── header lists <── session
 * ```
 *
 * @module frames
 */
export * from './constants';
export * from './types';
export * from './codec';
export * from './deframer';
export * from './header-block';
export * from './padding';
export * from './encoder';
export * from './pipeline';
