/**
 * Outbound padding policies for DATA, HEADERS and PUSH_PROMISE (RFC 9113 sections 6.1, 6.2, 6.6).
 * Padding lives inside those frames' codecs; this module only decides how much to add.
 */
import type { DataFrame, HeadersFrame, PushPromiseFrame } from './types';

/** The frames that may carry padding. */
export type PaddableFrame = DataFrame | HeadersFrame | PushPromiseFrame;

/**
 * How much padding to add to an outgoing DATA, HEADERS or PUSH_PROMISE frame. Amounts count
 * the whole padding overhead *including* the one-octet Pad Length field, as nghttp's `-b` and
 * nghttp2's `padlen` do: an amount of 0 sends the frame unpadded, 1 sets PADDED with Pad Length
 * 0, 256 is the most a frame can carry (Pad Length 255).
 *
 * - `'none'` (or undefined): keep the frame's own `padLength` if it has one, else no padding.
 * - `{ fixed: n }`: always `n` octets of overhead (nghttp `-b n`).
 * - `{ upTo: n }`: a uniformly random amount in 0..n per frame (hides message sizes).
 * - a function: returns the amount for this frame, given the unpadded payload length.
 *
 * A policy's amount is clamped to 256 and to what still fits under `maxFrameSize`; a frame's
 * own `padLength` is used as is.
 */
export type PaddingPolicy = 'none' | { fixed: number } | { upTo: number } | ((frame: PaddableFrame, unpaddedLength: number) => number);

/** The largest padding overhead one frame can carry: the Pad Length octet plus 255 octets. */
export const MAX_PADDING = 256;

/**
 * The padding overhead (Pad Length octet included; 0 = unpadded) to put on `frame`, whose
 * payload without padding is `unpaddedLength` octets, under `policy`, so that the payload
 * stays within `maxFrameSize`.
 */
export function choosePadding(
  policy: PaddingPolicy | undefined,
  frame: PaddableFrame,
  unpaddedLength: number,
  maxFrameSize = 16384,
): number {
  let n: number;
  if (policy === undefined || policy === 'none') {
    // The frame's own padding is taken as given (withPadding has already fitted it).
    return frame.padLength === undefined ? 0 : frame.padLength + 1;
  } else if (typeof policy === 'function') {
    n = policy(frame, unpaddedLength);
  } else if ('fixed' in policy) {
    n = policy.fixed;
  } else {
    n = Math.floor(Math.random() * (policy.upTo + 1));
  }
  if (!Number.isFinite(n) || n <= 0) return 0;
  n = Math.min(Math.floor(n), MAX_PADDING, maxFrameSize - unpaddedLength);
  return n > 0 ? n : 0;
}
