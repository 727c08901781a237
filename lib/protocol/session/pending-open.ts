/**
 * Client requests whose HEADERS wait for a MAX_CONCURRENT_STREAMS slot, in id order: an O(1)
 * FIFO (a head index instead of Array.shift, which is O(n) on the 20k-entry queues a load
 * generator builds) with O(1) removal (a stream leaves the queue when its `pendingHeaders` is
 * cleared; the slot is skipped when reached).
 */
import type { Stream } from './stream';

/** The queue; see the module comment. */
export class PendingOpenQueue {
  private items: (Stream | undefined)[] = [];
  private head = 0;
  private live = 0;

  /** Streams still waiting. */
  get length(): number {
    return this.live;
  }

  /** Append a stream whose `pendingHeaders` is set. */
  push(s: Stream): void {
    this.items.push(s);
    this.live++;
  }

  /** `s` (still queued) stopped waiting; the caller has cleared its `pendingHeaders`. */
  removed(_s: Stream): void {
    this.live--;
  }

  /** Take the oldest stream still waiting, or undefined. */
  shift(): Stream | undefined {
    const items = this.items;
    while (this.head < items.length) {
      const s = items[this.head];
      items[this.head++] = undefined;
      if (s !== undefined && s.pendingHeaders !== null) {
        this.live--;
        this.compact();
        return s;
      }
    }
    this.compact();
    return undefined;
  }

  /** The streams still waiting, oldest first (a copy: safe to close them while iterating). */
  snapshot(): Stream[] {
    const out: Stream[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const s = this.items[i];
      if (s !== undefined && s.pendingHeaders !== null) out.push(s);
    }
    return out;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
