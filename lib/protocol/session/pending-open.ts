/**
 * Client requests whose HEADERS wait for a MAX_CONCURRENT_STREAMS slot, in id order: an O(1)
 * FIFO (head and tail indexes over one reused array, instead of Array.shift, which is O(n) on the
 * 20k-entry queues a load generator builds) with O(1) removal (a stream leaves the queue when its
 * `pendingHeaders` is cleared; its slot is skipped when reached).
 */
import type { Stream } from './stream';

/** The queue; see the module comment. */
export class PendingOpenQueue {
  /**
   * Every request passes through (pushed, then shifted when a slot is free). One slot to start
   * with: a client with one request at a time never grows it (the first push into an empty
   * array makes 17 slots, ~0.13 KB per connection for nothing).
   */
  private items: (Stream | undefined)[] = [undefined];
  private head = 0;
  private tail = 0;
  private live = 0;

  /** Streams still waiting. */
  get length(): number {
    return this.live;
  }

  /** Append a stream whose `pendingHeaders` is set. */
  push(s: Stream): void {
    if (this.tail === this.items.length) this.items.push(s);
    else this.items[this.tail] = s;
    this.tail++;
    this.live++;
  }

  /** `s` (still queued) stopped waiting; the caller has cleared its `pendingHeaders`. */
  removed(_s: Stream): void {
    this.live--;
  }

  /** Take the oldest stream still waiting, or undefined. */
  shift(): Stream | undefined {
    const items = this.items;
    let found: Stream | undefined;
    while (this.head < this.tail) {
      const s = items[this.head];
      items[this.head++] = undefined;
      if (s !== undefined && s.pendingHeaders !== null) {
        this.live--;
        found = s;
        break;
      }
    }
    if (this.head === this.tail) {
      // Empty: start again at slot 0, keeping the array (no reallocation per request).
      this.head = this.tail = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      items.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      items.fill(undefined, this.tail);
      this.head = 0;
    }
    return found;
  }

  /** The streams still waiting, oldest first (a copy: safe to close them while iterating). */
  snapshot(): Stream[] {
    const out: Stream[] = [];
    for (let i = this.head; i < this.tail; i++) {
      const s = this.items[i];
      if (s !== undefined && s.pendingHeaders !== null) out.push(s);
    }
    return out;
  }
}
