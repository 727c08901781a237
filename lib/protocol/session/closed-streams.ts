/**
 * Closed-stream memory: how recently closed streams ended, so a late frame on one can be told
 * apart from a frame on a stream never opened (RFC 9113 section 5.1, "closed"). Bounded, O(1).
 */
import type { CloseCause } from './types';
import { packedZeros } from './id-map';

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

const NO_SMALL: number[] = [];
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
  /** Slots of the table (0 before the first close). */
  private n = 0;
  /**
   * A table of FIRST_SLOTS slots or fewer: slot i's id at 2i, its cause's code at 2i + 1, in one
   * plain array of small integers (~0.3 KB: the two typed arrays, each an object, an ArrayBuffer
   * and its store, were ~0.48 KB, and every connection has one). A grown table is `ids` and
   * `causes` (5 octets a slot where the array takes 16).
   */
  private small: number[] = NO_SMALL;
  private ids: Int32Array = NO_IDS;
  private causes: Uint8Array = NO_CAUSES;
  private readonly size: number;

  /** At most `size` slots (0 remembers nothing). */
  constructor(size: number) {
    this.size = Math.max(0, size);
  }

  /** Record that stream `id` closed, and how. */
  remember(id: number, cause: CloseCause): void {
    let n = this.n;
    if (n === 0) {
      if (this.size === 0) return;
      this.resize(Math.min(FIRST_SLOTS, this.size));
      n = this.n;
    }
    let slot = (id >>> 1) % n;
    const held = this.idAt(slot);
    if (held !== 0 && held !== id && n < this.size && this.codeAt(slot) !== END_STREAM) {
      this.resize(Math.min(n * GROWTH, this.size));
      slot = (id >>> 1) % this.n;
    }
    this.put(slot, id, CAUSE_CODES.indexOf(cause));
  }

  /** How stream `id` closed, or undefined when it is not (or no longer) remembered. */
  causeOf(id: number): CloseCause | undefined {
    const n = this.n;
    if (n === 0) return undefined;
    const slot = (id >>> 1) % n;
    return this.idAt(slot) === id ? CAUSE_CODES[this.codeAt(slot)] : undefined;
  }

  private idAt(slot: number): number {
    return this.n <= FIRST_SLOTS ? this.small[slot << 1] : this.ids[slot];
  }

  private codeAt(slot: number): number {
    return this.n <= FIRST_SLOTS ? this.small[(slot << 1) + 1] : this.causes[slot];
  }

  private put(slot: number, id: number, code: number): void {
    if (this.n <= FIRST_SLOTS) {
      this.small[slot << 1] = id;
      this.small[(slot << 1) + 1] = code;
    } else {
      this.ids[slot] = id;
      this.causes[slot] = code;
    }
  }

  private resize(n: number): void {
    // What the old table holds, as (id, code) pairs.
    const held: number[] = [];
    for (let i = 0; i < this.n; i++) {
      const id = this.idAt(i);
      if (id !== 0) held.push(id, this.codeAt(i));
    }
    this.n = n;
    if (n <= FIRST_SLOTS) {
      this.small = packedZeros(2 * n);
    } else {
      this.small = NO_SMALL;
      this.ids = new Int32Array(n);
      this.causes = new Uint8Array(n);
    }
    // Oldest first isn't known; a later id wins a shared slot, as it would have on insertion.
    for (let i = 0; i < held.length; i += 2) {
      const id = held[i];
      const slot = (id >>> 1) % n;
      if (this.idAt(slot) > id) continue;
      this.put(slot, id, held[i + 1]);
    }
  }
}
