/**
 * The HPACK decoder (RFC 7541 sections 3, 4 and 6), strict: one decompression context, header
 * blocks in, header lists out. Owns the decoder's dynamic table and the table size limit our
 * SETTINGS_HEADER_TABLE_SIZE sets.
 */
import type { HeaderField } from '../frame/types';
import { ApiMisuseError } from '../errors';
import { HeaderTable, HeaderTableEntry, ENTRY_OVERHEAD } from './header-table';
import { STATIC_TABLE, STATIC_TABLE_LENGTH } from './static-table';
import { readInteger } from './integer';
import { readString } from './string';
import { HeaderListTooLargeError, InvalidIndexError, TableSizeUpdateError } from './errors';

export type { HeaderField };

/** Limits of a decoding context. */
export interface HpackDecoderOptions {
  /** Our SETTINGS_HEADER_TABLE_SIZE (acknowledged): the most a size update may ask. Default 4096. */
  maxTableSize?: number;
  /**
   * Largest decoded header list (name + value + 32 per field, RFC 9113 section 6.5.2). Blocks a
   * peer that makes us hold a huge list built from a small block of indexed references.
   * Default: no limit. Exceeding it throws HeaderListTooLargeError after the whole block.
   */
  maxHeaderListSize?: number;
  /**
   * Longest name or value, encoded or decoded, in octets. Blocks memory exhaustion through one
   * giant literal. Default 65536 (nghttp2's limit).
   */
  maxStringLength?: number;
  /**
   * The dynamic table size both ends start from, agreed out of band (no size update expected):
   * e.g. 256 for the RFC 7541 Appendix C.5/C.6 examples. Default 4096, the protocol's initial
   * value; must not exceed `maxTableSize`.
   */
  initialTableSize?: number;
}

/**
 * Where the integer or string just read ends: one for every decoder of the thread (a block is
 * parsed start to end in one call, never two at once), not an object per decoder.
 */
const CURSOR = { pos: 0 };

/** Default of `maxStringLength`. */
export const DEFAULT_MAX_STRING_LENGTH = 65536;

/** Longest header block kept for the repeat check (a response or request of a load test is ~10-50 octets). */
const REPEAT_MAX = 256;

/** One HPACK decoding context. Feed it every header block of one direction, in wire order. */
export class HpackDecoder {
  private limit: number;
  private maxListSize: number;
  private readonly maxString: number;
  private readonly table: HeaderTable;
  /** Set when our limit went below the table's size: the next block must open with an update. */
  private expectUpdate = false;
  /** While `expectUpdate`: the smallest limit since the last block, the most the first update may say. */
  private firstUpdateCap = 0;
  /** Set after an update in the current block: the table's maximum changed (for the tools). */
  private changed = false;
  /**
   * The last block that left the dynamic table as it found it (indexed references and literals
   * without indexing only): a copy of its octets, the table's state it was read against and its
   * fields. The same octets against the same table
   * decode to the same fields, so a peer repeating itself (a server answering a load generator,
   * a load generator's requests) costs a compare, not a parse and a Huffman decode per literal.
   * Its pairs are those of the list that decode returned, handed out again in every repeat.
   */
  private repeatBytes: Buffer | null = null;
  private repeatLength = -1;
  private repeatInserted = 0;
  private repeatTableLength = 0;
  private repeatMaxSize = 0;
  private repeatListSize = 0;
  private repeatPairs: HeaderField[] = [];
  /** Octets of the names and values of the last block decoded (RFC 9113's field section size less 32 per field). */
  fieldOctets = 0;

  constructor(opts: HpackDecoderOptions = {}) {
    this.limit = checkSize(opts.maxTableSize ?? 4096, 'maxTableSize');
    this.maxListSize = opts.maxHeaderListSize ?? Infinity;
    // Kept as a small integer (no octet string reaches 2^31 - 1): Infinity, a session's "no cap",
    // made the field a boxed number, 16 octets more per decoder.
    this.maxString = Math.min(opts.maxStringLength ?? DEFAULT_MAX_STRING_LENGTH, 0x7fffffff);
    if (!(this.maxListSize >= 0)) throw new ApiMisuseError('maxHeaderListSize must be a number >= 0');
    if (!(this.maxString >= 0)) throw new ApiMisuseError('maxStringLength must be a number >= 0');
    // RFC 9113 section 6.5.2: the encoder starts from the protocol default, 4096.
    if (opts.initialTableSize !== undefined) {
      const initial = checkSize(opts.initialTableSize, 'initialTableSize');
      if (initial > this.limit) throw new ApiMisuseError(`initialTableSize ${initial} is above maxTableSize ${this.limit}`);
      this.table = new HeaderTable(initial);
    } else {
      this.table = new HeaderTable(4096);
      this.lowerTo(this.limit);
    }
  }

  /**
   * Our SETTINGS_HEADER_TABLE_SIZE after the peer ACKed it: the limit for size updates. When it
   * is below the table's current maximum, the table shrinks now and the next block must open with
   * a size update (RFC 7541 section 4.2).
   */
  setMaxTableSize(n: number): void {
    this.limit = checkSize(n, 'table size');
    this.lowerTo(n);
  }

  /**
   * A new `maxHeaderListSize` (e.g. our SETTINGS_MAX_HEADER_LIST_SIZE once the peer ACKed it);
   * applies from the next block.
   */
  setMaxHeaderListSize(n: number): void {
    if (!(n >= 0)) throw new ApiMisuseError('maxHeaderListSize must be a number >= 0');
    this.maxListSize = n;
  }

  /** Whether `buf[start..end)` repeats the remembered block against an unchanged table. */
  private repeats(buf: Uint8Array, start: number, end: number): boolean {
    const t = this.table;
    const n = end - start;
    if (
      n !== this.repeatLength ||
      this.expectUpdate ||
      t.inserted !== this.repeatInserted ||
      t.length !== this.repeatTableLength ||
      t.maxSize !== this.repeatMaxSize ||
      this.repeatListSize > this.maxListSize
    )
      return false;
    const last = this.repeatBytes as Buffer;
    for (let i = 0; i < n; i++) if (buf[start + i] !== last[i]) return false;
    return true;
  }

  /**
   * {@link decode} for the header block `buf[start..end)` of a larger buffer (a read chunk): a
   * block repeating the last one this decoder remembered (one that left the dynamic table as it
   * was) against the same table state is answered from memory without a view of it; any other is
   * decoded from a view. The same rules as `decode` apply to the list returned.
   */
  decodeRange(buf: Buffer, start: number, end: number): HeaderField[] {
    if (this.repeatLength >= 0 && this.repeats(buf, start, end)) {
      this.changed = false;
      this.fieldOctets = this.repeatListSize - ENTRY_OVERHEAD * this.repeatPairs.length;
      return this.repeatList();
    }
    return this.parse(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  }

  /**
   * The remembered block's fields: a new list (the caller owns it: push, splice, sort as it
   * likes) of the remembered pairs, shared by every repeat of the block. A pair is never written
   * once made (see {@link HpackDecoder.decode}), so sharing one is safe and saves a pair (two
   * arrays, ~64 octets) per field of every repeated block.
   */
  private repeatList(): HeaderField[] {
    // slice(): a list of exactly the right length (growing one by push allocates twice, and bigger).
    return this.repeatPairs.slice();
  }

  private remember(buf: Buffer, end: number, out: HeaderField[], listSize: number): void {
    // Room for this block, grown by 64 octets at a time (REPEAT_MAX each: 256 octets of the Buffer
    // pool per connection where a response block is ~10-50).
    if (this.repeatBytes === null || this.repeatBytes.length < end)
      this.repeatBytes = Buffer.allocUnsafe(Math.min(REPEAT_MAX, (end + 63) & ~63));
    buf.copy(this.repeatBytes, 0, 0, end);
    this.repeatLength = end;
    const t = this.table;
    this.repeatInserted = t.inserted;
    this.repeatTableLength = t.length;
    this.repeatMaxSize = t.maxSize;
    this.repeatListSize = listSize;
    // The pairs handed out now serve the repeats too: pairs are never written (see decode). A
    // copy of exactly the list's length (emptied and refilled by push, the array was made again
    // with 17 slots each time).
    this.repeatPairs = out.slice();
  }

  /** The current maximum size of the dynamic table (as the last size update set it). */
  get tableSize(): number {
    return this.table.maxSize;
  }

  /** Sum of the entry sizes in the dynamic table. */
  get tableUsed(): number {
    return this.table.size;
  }

  /** The dynamic table, newest first, with indexes from 62. */
  entries(): HeaderTableEntry[] {
    return this.table.entries();
  }

  /** Whether the last decoded block carried a dynamic table size update. */
  get sizeUpdated(): boolean {
    return this.changed;
  }

  /**
   * Decode one complete header block. Fields sent as never-indexed literals come back with
   * their third element `true`, so a proxy re-encodes them the same way (RFC 7541 section 7.1.3).
   * Throws a subclass of HpackDecodeError (a CompressionError); after any error but
   * HeaderListTooLargeError the context is out of step with the peer and must be dropped.
   *
   * The list is new and the caller's (push, splice, sort it as you like), but its pairs may be
   * shared: a block that repeats an earlier one (a load generator's requests, a server's
   * identical responses) gets the same pair objects in every list it yields. Never write into a
   * pair (`list[i][1] = v`); put a new pair in its place (`list[i] = [name, v]`).
   */
  decode(block: Uint8Array): HeaderField[] {
    const buf = Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    return this.decodeRange(buf, 0, buf.length);
  }

  /** A block that is not the remembered repeat: parsed field by field (see {@link decode}). */
  private parse(buf: Buffer): HeaderField[] {
    const end = buf.length;
    const table = this.table;
    const cur = CURSOR;
    this.changed = false;
    const out: HeaderField[] = [];
    let listSize = 0;
    let fields = 0;
    const maxList = this.maxListSize;
    let pos = 0;
    const insertedBefore = table.inserted;
    const lengthBefore = table.length;
    // RFC 7541 section 4.2: after the limit went down, "the encoder MUST signal ... via a dynamic
    // table size update" at "the beginning of the first header block following the change".
    if (this.expectUpdate && (end === 0 || (buf[0] & 0xe0) !== 0x20)) {
      throw new TableSizeUpdateError(0, `the table size limit went down to ${this.limit}; the block must open with a size update`);
    }
    while (pos < end) {
      const b = buf[pos];
      if (b & 0x80) {
        // RFC 7541 section 6.1: Indexed Header Field.
        const at = pos;
        const idx = readInteger(buf, pos, end, 7, cur);
        pos = cur.pos;
        let name: string;
        let value: string;
        if (idx > 0 && idx <= STATIC_TABLE_LENGTH) {
          const e = STATIC_TABLE[idx - 1];
          name = e[0];
          value = e[1];
        } else {
          const i = idx - STATIC_TABLE_LENGTH - 1;
          // RFC 7541 section 6.1: "The index value of 0 is not used. It MUST be treated as a
          // decoding error if found in an indexed header field representation." Section 2.3.3:
          // "Indices strictly greater than the sum of the lengths of both tables MUST be treated
          // as a decoding error."
          if (idx === 0 || i >= table.length) throw new InvalidIndexError(at, idx, STATIC_TABLE_LENGTH + table.length);
          name = table.name(i);
          value = table.value(i);
        }
        listSize += name.length + value.length + ENTRY_OVERHEAD;
        if (listSize <= maxList) out.push(this.pairAt(out.length, name, value));
        fields++;
      } else if ((b & 0xe0) === 0x20) {
        // RFC 7541 section 6.3: Dynamic Table Size Update.
        const at = pos;
        // RFC 7541 section 4.2: "This dynamic table size update MUST occur at the beginning of
        // the first header block following the change to the dynamic table size."
        if (fields > 0) throw new TableSizeUpdateError(at, 'found after a header field');
        const size = readInteger(buf, pos, end, 5, cur);
        pos = cur.pos;
        // RFC 7541 section 6.3: "The new maximum size MUST be lower than or equal to the limit
        // ... A value that exceeds this limit MUST be treated as a decoding error."
        if (size > this.limit) throw new TableSizeUpdateError(at, `size ${size} is above the limit ${this.limit}`);
        // RFC 7541 section 4.2: "If the maximum size is changed more than once between header
        // blocks, ... the smallest maximum table size that occurs in that interval MUST be
        // signaled in a dynamic table size update." The first update carries that minimum.
        if (this.expectUpdate && size > this.firstUpdateCap) {
          throw new TableSizeUpdateError(
            at,
            `the first size update (${size}) must be at most the smallest limit since the last block (${this.firstUpdateCap})`,
          );
        }
        table.setMaxSize(size);
        this.expectUpdate = false;
        this.changed = true;
      } else {
        // RFC 7541 sections 6.2.1 (01xxxxxx, incremental indexing), 6.2.2 (0000xxxx, without
        // indexing) and 6.2.3 (0001xxxx, never indexed).
        const at = pos;
        const indexing = (b & 0x40) !== 0;
        const idx = readInteger(buf, pos, end, indexing ? 6 : 4, cur);
        pos = cur.pos;
        let name: string;
        if (idx === 0) {
          name = this.readString(buf, pos, end);
          pos = cur.pos;
        } else if (idx <= STATIC_TABLE_LENGTH) {
          name = STATIC_TABLE[idx - 1][0];
        } else {
          const i = idx - STATIC_TABLE_LENGTH - 1;
          if (i >= table.length) throw new InvalidIndexError(at, idx, STATIC_TABLE_LENGTH + table.length);
          name = table.name(i);
        }
        const value = this.readString(buf, pos, end);
        pos = cur.pos;
        if (indexing) table.add(name, value);
        listSize += name.length + value.length + ENTRY_OVERHEAD;
        // Past the limit the block is still decoded (the table must stay in step with the
        // peer's encoder) but its fields are no longer kept: a small block of indexed
        // references cannot make us hold a huge list.
        if (listSize <= maxList) out.push(b & 0x10 && !indexing ? [name, value, true] : this.pairAt(out.length, name, value));
        fields++;
      }
    }
    if (listSize > maxList) throw new HeaderListTooLargeError(listSize, maxList, out);
    this.fieldOctets = listSize - ENTRY_OVERHEAD * fields;
    if (!this.changed && end <= REPEAT_MAX && table.inserted === insertedBefore && table.length === lengthBefore)
      this.remember(buf, end, out, listSize);
    else this.repeatLength = -1;
    return out;
  }

  /**
   * The pair `[name, value]` for position `i` of a list being parsed: the remembered block's pair
   * at `i` when it holds the same strings (pairs are never written, see {@link decode}), else a
   * new one. A block that changed in one field (a server's `date`, once a second) then makes one
   * new pair, not one per field: the remembered pairs live until the block changes again, long
   * enough for V8 to promote them, so each replaced set was old-space garbage on every
   * connection (~0.3 MB per 10 s at h2load -c 100).
   */
  private pairAt(i: number, name: string, value: string): HeaderField {
    const old = this.repeatPairs[i];
    return old !== undefined && old[1] === value && old[0] === name && old.length === 2 ? old : [name, value];
  }

  /** RFC 7541 section 5.2: a string literal at `pos`; the position after it goes to `cursor.pos`. */
  private readString(buf: Buffer, pos: number, end: number): string {
    return readString(buf, pos, end, this.maxString, CURSOR);
  }

  private lowerTo(n: number): void {
    if (this.table.maxSize > n) {
      this.table.setMaxSize(n);
      this.firstUpdateCap = this.expectUpdate ? Math.min(this.firstUpdateCap, n) : n;
      this.expectUpdate = true;
    } else if (this.expectUpdate) {
      this.firstUpdateCap = Math.min(this.firstUpdateCap, n);
    }
  }
}

function checkSize(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new ApiMisuseError(`${what} must be an integer in 0..2^32-1, got ${n}`);
  return n;
}
