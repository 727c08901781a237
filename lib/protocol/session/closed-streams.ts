/**
 * Closed-stream memory: how recently closed streams ended, so a late frame on one can be told
 * apart from a frame on a stream never opened (RFC 9113 section 5.1, "closed"). Bounded, O(1).
 */
import type { CloseCause } from './types';

/** CloseCause by small integer, for the table. */
const CAUSE_CODES: readonly CloseCause[] = ['endStream', 'localReset', 'remoteReset', 'connection'];
/** The code of a clean close (END_STREAM both ways): the one a slot may lose without growing. */
const END_STREAM = 0;

/** Slots of a table's first allocation (it grows GROWTH-fold from there up to its size). */
const FIRST_SLOTS = 16;
/**
 * How much a full table grows: 8-fold, not 2-fold. A busy connection outgrows every
 * intermediate table, and each one that lived long enough to be promoted (tens of ms) stays in
 * V8's old space, its backing store in malloc, until a full collection that a short-lived client
 * never runs: doubling left 32..512 slots (~5 KB) of dead tables per connection of h2load -c 100
 * (0.5 MB of its peak RSS); 16 -> 128 -> size leaves 144 slots.
 */
const GROWTH = 8;

const NO_IDS = new Int32Array(0);
const NO_CAUSES = new Uint8Array(0);

/**
 * A direct-mapped table (slot = (id >> 1) mod n: client and server ids alternate in parity, so
 * shifting the parity bit out uses every slot): no allocation per stream; a newer stream
 * overwrites an older one in its slot, which then counts as forgotten. The table starts empty
 * and grows (8-fold, re-mapping what it holds) each time a stream would overwrite one that
 * closed by a reset or with its connection, up to `size` slots: those are the closes whose late
 * frames `lateFrameVerdict` treats differently from a forgotten stream's (ignored, or a stream
 * error instead of a connection error). A stream that closed with END_STREAM both ways is
 * overwritten without growing: its late frames get the forgotten stream's answers (WINDOW_UPDATE,
 * RST_STREAM and PRIORITY ignored, DATA a connection STREAM_CLOSED) except HEADERS, a connection
 * PROTOCOL_ERROR where it would have been a connection STREAM_CLOSED. So a connection whose
 * streams end cleanly keeps 16 slots (1000 slots were ~5 KB per connection: 0.5 MB of h2load
 * -c 100's peak), and every reset among the last `size` closes is remembered.
 */
export class ClosedStreams {
  private ids: Int32Array = NO_IDS;
  private causes: Uint8Array = NO_CAUSES;
  private readonly size: number;

  /** At most `size` slots (0 remembers nothing). */
  constructor(size: number) {
    this.size = Math.max(0, size);
  }

  /** Record that stream `id` closed, and how. */
  remember(id: number, cause: CloseCause): void {
    let n = this.ids.length;
    if (n === 0) {
      if (this.size === 0) return;
      this.resize(Math.min(FIRST_SLOTS, this.size));
      n = this.ids.length;
    }
    let slot = (id >>> 1) % n;
    const held = this.ids[slot];
    if (held !== 0 && held !== id && n < this.size && this.causes[slot] !== END_STREAM) {
      this.resize(Math.min(n * GROWTH, this.size));
      slot = (id >>> 1) % this.ids.length;
    }
    this.ids[slot] = id;
    this.causes[slot] = CAUSE_CODES.indexOf(cause);
  }

  /** How stream `id` closed, or undefined when it is not (or no longer) remembered. */
  causeOf(id: number): CloseCause | undefined {
    const n = this.ids.length;
    if (n === 0) return undefined;
    const slot = (id >>> 1) % n;
    return this.ids[slot] === id ? CAUSE_CODES[this.causes[slot]] : undefined;
  }

  private resize(n: number): void {
    const ids = this.ids;
    const causes = this.causes;
    this.ids = new Int32Array(n);
    this.causes = new Uint8Array(n);
    // Oldest first isn't known; a later id wins a shared slot, as it would have on insertion.
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === 0) continue;
      const slot = (id >>> 1) % n;
      if (this.ids[slot] > id) continue;
      this.ids[slot] = id;
      this.causes[slot] = causes[i];
    }
  }
}
