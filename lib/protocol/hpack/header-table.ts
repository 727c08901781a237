/**
 * The HPACK dynamic table (RFC 7541 sections 2.3.2 and 4): a FIFO of (name, value) entries with
 * a size budget, kept in a ring so that insertion and eviction are O(1). Both the encoder and
 * the decoder own one; the encoder listens to evictions to keep its lookup maps in step.
 */

/** RFC 7541 section 4.1: "The size of an entry is the sum of its name's length in octets ...,
 * its value's length in octets, and 32." */
export const ENTRY_OVERHEAD = 32;

/** Size of one entry as RFC 7541 section 4.1 counts it. */
export function entrySize(name: string, value: string): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

/** One entry as the tools show it (`-d`): dynamic index, name, value and size. */
export interface HeaderTableEntry {
  index: number;
  name: string;
  value: string;
  size: number;
}

/** The dynamic table. Index 0 is the newest entry (HPACK index 62). */
export class HeaderTable {
  private names: string[] = new Array(16);
  private values: string[] = new Array(16);
  private mask = 15;
  private head = 0; // slot of the oldest entry
  /** Number of entries. */
  length = 0;
  /** Sum of entry sizes. */
  size = 0;
  /** Entries ever stored; the newest entry's id is `inserted - 1`, the oldest's `inserted - length`. */
  inserted = 0;

  constructor(
    /** Current maximum size (set by size updates). */
    public maxSize = 4096,
    /** Called for each evicted entry with the id it was inserted under. */
    private readonly onEvict?: (name: string, value: string, id: number) => void,
  ) {}

  /** Name of entry `i` (0 = newest); the caller checks `i < length`. */
  name(i: number): string {
    return this.names[(this.head + this.length - 1 - i) & this.mask];
  }

  /** Value of entry `i` (0 = newest). */
  value(i: number): string {
    return this.values[(this.head + this.length - 1 - i) & this.mask];
  }

  /**
   * Insert an entry, evicting from the old end first. RFC 7541 section 4.4: "an attempt to add
   * an entry larger than the maximum size causes the table to be emptied of all existing entries
   * and results in an empty table" (not an error).
   */
  add(name: string, value: string): void {
    const sz = name.length + value.length + ENTRY_OVERHEAD;
    if (sz > this.maxSize) {
      this.evictTo(0);
      return;
    }
    this.evictTo(this.maxSize - sz);
    if (this.length > this.mask) this.grow();
    const slot = (this.head + this.length) & this.mask;
    this.names[slot] = name;
    this.values[slot] = value;
    this.length++;
    this.size += sz;
    this.inserted++;
  }

  /** RFC 7541 section 4.3: a new maximum evicts from the old end until the table fits. */
  setMaxSize(n: number): void {
    this.maxSize = n;
    this.evictTo(n);
  }

  /** The entries, newest first, with their HPACK indexes (62...). */
  entries(): HeaderTableEntry[] {
    const out: HeaderTableEntry[] = [];
    for (let i = 0; i < this.length; i++) {
      const name = this.name(i);
      const value = this.value(i);
      out.push({ index: 62 + i, name, value, size: entrySize(name, value) });
    }
    return out;
  }

  private evictTo(budget: number): void {
    while (this.size > budget && this.length > 0) {
      const slot = this.head;
      const name = this.names[slot];
      const value = this.values[slot];
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
      if (this.onEvict) this.onEvict(name, value, this.inserted - this.length);
      this.names[slot] = undefined as unknown as string; // let the strings be collected
      this.values[slot] = undefined as unknown as string;
      this.head = (this.head + 1) & this.mask;
      this.length--;
    }
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const names: string[] = new Array(cap);
    const values: string[] = new Array(cap);
    for (let i = 0; i < this.length; i++) {
      names[i] = this.names[(this.head + i) & this.mask];
      values[i] = this.values[(this.head + i) & this.mask];
    }
    this.names = names;
    this.values = values;
    this.head = 0;
    this.mask = cap - 1;
  }
}
