/**
 * nghttp's queue of requests still to send: first in, first out, with room at the front for
 * requests the server refused (sent again ahead of the rest, in the order they were refused). `shift()` is O(1): with `-m 20000`
 * the queue holds 20000 entries, and `Array.prototype.shift` on it moves every one of them.
 */
export class PlanQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  /** Entries added by unshift() and not yet taken: the next one goes after them. */
  private front = 0;

  /** Entries not yet taken. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Add at the back. */
  push(item: T): void {
    this.items.push(item);
  }

  /**
   * Add at the front, after what earlier calls added there and is not yet taken: requests refused
   * while no stream slot was free (several RST_STREAMs in one read) go again in their own order.
   */
  unshift(item: T): void {
    if (this.front === 0 && this.head > 0) this.items[--this.head] = item;
    else this.items.splice(this.head + this.front, 0, item);
    this.front++;
  }

  /** Take the front entry; undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.front > 0) this.front--;
    // Drop the taken prefix once it is most of the array, so memory follows what is left.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
