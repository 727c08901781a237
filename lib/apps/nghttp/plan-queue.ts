/**
 * nghttp's queue of requests still to send: first in, first out, with room at the front for
 * requests the server refused (sent again ahead of the rest, in the order they were refused).
 * An entry may stand for several requests in a row (`-m N` sends one planned request N times), so
 * `-m 20000` is one entry taken 20000 times, not 20000 objects; `shift()` is O(1) either way
 * (`Array.prototype.shift` on a 20000-entry array moves every one of them).
 */
export class PlanQueue<T> {
  private items: (T | undefined)[] = [];
  /** How many more times each entry is taken (1 for a single request). */
  private counts: number[] = [];
  private head = 0;
  /** Entries added by unshift() and not yet taken: the next one goes after them. */
  private front = 0;
  /** Requests not yet taken (the counts of the entries from `head` on). */
  private size = 0;

  /** Entries not yet taken (an entry pushed with a count counts that many times). */
  get length(): number {
    return this.size;
  }

  /** Add at the back, to be taken `count` times in a row (default once). */
  push(item: T, count = 1): void {
    if (count <= 0) return;
    this.items.push(item);
    this.counts.push(count);
    this.size += count;
  }

  /**
   * Add at the front, after what earlier calls added there and is not yet taken: requests refused
   * while no stream slot was free (several RST_STREAMs in one read) go again in their own order.
   */
  unshift(item: T): void {
    if (this.front === 0 && this.head > 0) {
      this.items[--this.head] = item;
      this.counts[this.head] = 1;
    } else {
      this.items.splice(this.head + this.front, 0, item);
      this.counts.splice(this.head + this.front, 0, 1);
    }
    this.front++;
    this.size++;
  }

  /** Take the front entry; undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const h = this.head;
    const item = this.items[h];
    this.size--;
    // Entries added at the front are taken once each.
    if (this.front > 0) this.front--;
    if (--this.counts[h] > 0) return item;
    this.items[h] = undefined;
    this.head = h + 1;
    // Drop the taken prefix once it is most of the array, so memory follows what is left.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.counts = this.counts.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
