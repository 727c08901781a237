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

/** What HeaderTable can tell of each eviction instead of calling a function (the encoder itself: no closure per table). */
export interface EvictionListener {
  evicted(name: string, value: string, id: number): void;
}

/** The dynamic table. Index 0 is the newest entry (HPACK index 62). */
export class HeaderTable {
  /**
   * The ring, grown by doubling as entries arrive: slot i's name at 2i, its value at 2i + 1. It
   * starts at 4 slots: a client's tables hold a few entries (h2load's encoder two, its decoder
   * three or four), and every connection has two tables (two arrays of 16 slots each were
   * ~0.5 KB more heap per connection).
   */
  private fields: string[] = new Array(8);
  private mask = 3;
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
    /** Called (or its `evicted`) for each evicted entry with the id it was inserted under. */
    private readonly onEvict?: ((name: string, value: string, id: number) => void) | EvictionListener,
  ) {}

  /** Name of entry `i` (0 = newest); the caller checks `i < length`. */
  name(i: number): string {
    return this.fields[((this.head + this.length - 1 - i) & this.mask) << 1];
  }

  /** Value of entry `i` (0 = newest). */
  value(i: number): string {
    return this.fields[(((this.head + this.length - 1 - i) & this.mask) << 1) + 1];
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
    this.fields[slot << 1] = name;
    this.fields[(slot << 1) + 1] = value;
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
      const name = this.fields[slot << 1];
      const value = this.fields[(slot << 1) + 1];
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
      const onEvict = this.onEvict;
      if (onEvict !== undefined) {
        if (typeof onEvict === 'function') onEvict(name, value, this.inserted - this.length);
        else onEvict.evicted(name, value, this.inserted - this.length);
      }
      this.fields[slot << 1] = undefined as unknown as string; // let the strings be collected
      this.fields[(slot << 1) + 1] = undefined as unknown as string;
      this.head = (this.head + 1) & this.mask;
      this.length--;
    }
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const fields: string[] = new Array(cap * 2);
    for (let i = 0; i < this.length; i++) {
      const from = ((this.head + i) & this.mask) << 1;
      fields[i << 1] = this.fields[from];
      fields[(i << 1) + 1] = this.fields[from + 1];
    }
    this.fields = fields;
    this.head = 0;
    this.mask = cap - 1;
  }
}
