/**
 * nghttp's RFC 7540 dependency tree (deprecated by RFC 9113 section 5.3.2 but still sent by
 * the reference): five idle "anchor" streams created with PRIORITY frames, and the anchor and
 * weight each kind of resource depends on.
 *
 *   0 <- 3 (w=201) <- 11 (w=1)     leaders: css, js in <head>; command-line URIs hang off 11
 *   0 <- 5 (w=101)                 unblocked: js outside <head>
 *   0 <- 7 (w=1)   <- 9 (w=1)      background / speculative (unused)
 */
import type { PrioritySpec } from '../../protocol/frame/types';

/** One anchor stream: an idle stream given a place in the tree by a PRIORITY frame. */
export interface Anchor {
  streamId: number;
  dependsOn: number;
  weight: number;
}

/** The anchors in the order the reference sends them. */
export const ANCHORS: readonly Anchor[] = [
  { streamId: 3, dependsOn: 0, weight: 201 }, // leaders
  { streamId: 5, dependsOn: 0, weight: 101 }, // unblocked
  { streamId: 7, dependsOn: 0, weight: 1 }, // background
  { streamId: 9, dependsOn: 7, weight: 1 }, // speculative
  { streamId: 11, dependsOn: 3, weight: 1 }, // followers
];

/** The anchor css and head scripts depend on. */
export const ANCHOR_LEADERS = 3;
/** The anchor body scripts depend on. */
export const ANCHOR_UNBLOCKED = 5;
/** The anchor command-line URIs, images and other resources depend on. */
export const ANCHOR_FOLLOWERS = 11;
/** With anchors, the first request opens the stream after the last anchor. */
export const FIRST_STREAM_AFTER_ANCHORS = 13;

/** What a linked resource is, for its priority (the reference's resource types). */
export type ResourceType = 'html' | 'css' | 'js' | 'unblocked-js' | 'img' | 'other';

/** RFC 9113 section 5.3.5 default priority: depends on 0 with weight 16. */
export const DEFAULT_PRIORITY: PrioritySpec = { exclusive: false, dependsOn: 0, weight: 16 };

/** The PRIORITY frames to send when the connection opens (none under --no-dep). */
export function anchorPriorities(noDep: boolean): { streamId: number; priority: PrioritySpec }[] {
  if (noDep) return [];
  return ANCHORS.map((a) => ({ streamId: a.streamId, priority: { exclusive: false, dependsOn: a.dependsOn, weight: a.weight } }));
}

/**
 * Priority of a command-line URI: under the followers anchor with its -p weight; with --no-dep
 * under the root with that weight (the default 16 then means no PRIORITY flag at all).
 */
export function uriPriority(weight: number, noDep: boolean): PrioritySpec {
  if (noDep) return { exclusive: false, dependsOn: 0, weight };
  return { exclusive: false, dependsOn: ANCHOR_FOLLOWERS, weight };
}

/**
 * Priority of a resource found by -a: css and head scripts under the leaders (w=32), body
 * scripts under the unblocked anchor (w=32), images under the followers with w=12, anything
 * else (icons) under the followers with w=32 — so html > css > js > images.
 */
export function resourcePriority(type: ResourceType, noDep: boolean): PrioritySpec {
  if (noDep) return { ...DEFAULT_PRIORITY };
  switch (type) {
    case 'css':
    case 'js':
      return { exclusive: false, dependsOn: ANCHOR_LEADERS, weight: 32 };
    case 'unblocked-js':
      return { exclusive: false, dependsOn: ANCHOR_UNBLOCKED, weight: 32 };
    case 'img':
      return { exclusive: false, dependsOn: ANCHOR_FOLLOWERS, weight: 12 };
    default:
      return { exclusive: false, dependsOn: ANCHOR_FOLLOWERS, weight: 32 };
  }
}
