/**
 * Closed-stream memory: how recently closed streams ended, so a late frame on one can be told
 * apart from a frame on a stream never opened (RFC 9113 section 5.1, "closed"). Bounded, O(1).
 */
import type { CloseCause } from './types';

/** CloseCause by small integer, for the table. */
const CAUSE_CODES: readonly CloseCause[] = ['endStream', 'localReset', 'remoteReset', 'connection'];

/**
 * A direct-mapped table (slot = id mod size): no allocation per stream; a newer stream overwrites
 * an older one in its slot, which then counts as forgotten.
 */
export class ClosedStreams {
  private readonly ids: Int32Array;
  private readonly causes: Uint8Array;

  /** `size` slots (0 remembers nothing). */
  constructor(size: number) {
    this.ids = new Int32Array(Math.max(0, size));
    this.causes = new Uint8Array(this.ids.length);
  }

  /** Record that stream `id` closed, and how. */
  remember(id: number, cause: CloseCause): void {
    const n = this.ids.length;
    if (n === 0) return;
    const slot = id % n;
    this.ids[slot] = id;
    this.causes[slot] = CAUSE_CODES.indexOf(cause);
  }

  /** How stream `id` closed, or undefined when it is not (or no longer) remembered. */
  causeOf(id: number): CloseCause | undefined {
    const n = this.ids.length;
    if (n === 0) return undefined;
    const slot = id % n;
    return this.ids[slot] === id ? CAUSE_CODES[this.causes[slot]] : undefined;
  }
}
