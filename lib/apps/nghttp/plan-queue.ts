/**
 * nghttp's queue of requests still to send: first in, first out, with room at the front for a
 * request the server refused (sent again ahead of the rest). `shift()` is O(1): with `-m 20000`
 * the queue holds 20000 entries, and `Array.prototype.shift` on it moves every one of them.
 */
export class PlanQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Entries not yet taken. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Add at the back. */
  push(item: T): void {
    this.items.push(item);
  }

  /** Add at the front (taken next). */
  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  /** Take the front entry; undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Drop the taken prefix once it is most of the array, so memory follows what is left.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
