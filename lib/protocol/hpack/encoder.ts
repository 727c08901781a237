/**
 * The HPACK encoder (RFC 7541 sections 4 and 6): one compression context, header lists in,
 * header blocks out. Owns the encoder's dynamic table, its lookup maps and the pending
 * dynamic table size updates.
 */
import type { HeaderField } from '../frame/types';
import { ApiMisuseError } from '../errors';
import { HeaderTable, HeaderTableEntry, ENTRY_OVERHEAD } from './header-table';
import { STATIC_NAMES, STATIC_TABLE_LENGTH } from './static-table';
import { writeInteger } from './integer';
import { HuffmanMode, maxStringSize, writeString } from './string';

export type { HeaderField };

export type { HuffmanMode };

/** Options of an encoding context. */
export interface HpackEncoderOptions {
  /** Our own cap on the dynamic table (the most memory we make the peer spend). Default 4096. */
  maxTableSize?: number;
  /** `auto` (default): Huffman only where it is shorter; `always`; `never`. */
  huffman?: HuffmanMode;
  /**
   * Decides whether a field that is not sensitive goes into the dynamic table. Default: like
   * nghttp2, index unless the entry would take more than 3/4 of the table or the name's values
   * rarely repeat (see `DEFAULT_UNINDEXED_NAMES`).
   */
  shouldIndex?: (name: string, value: string) => boolean;
  /**
   * Names whose fields are sent as never-indexed literals (RFC 7541 section 7.1.3) even when not
   * marked sensitive. Default `authorization`, plus `cookie` values shorter than 20 octets (easy
   * to guess by brute force through the compression side channel, RFC 7541 section 7.1.3).
   */
  neverIndex?: (name: string, value: string) => boolean;
  /**
   * The dynamic table size both ends start from, agreed out of band (no size update is sent):
   * e.g. 256 for the RFC 7541 Appendix C.5/C.6 examples. Default: the protocol's 4096, and a
   * size update in the first block when `maxTableSize` is smaller.
   */
  initialTableSize?: number;
}

/** Size of the slabs the encoder writes blocks into (blocks are views of a slab, as Node's pool). */
const SLAB_SIZE = 64 * 1024;

/** Positions of a header list the encoder remembers the last field at ({@link HpackEncoder}'s field memo). */
const MEMO_SLOTS = 16;
/** The field memo is made for the lists from this one on ({@link HpackEncoder}'s `lists`). */
const MEMO_FROM = 3;
/** The longest representation the field memo keeps as octets. */
const MEMO_OCTETS = 32;
/** What the field memo knows of a position: nothing, a static index, a dynamic entry id, or fixed octets. */
const enum Memo {
  NONE,
  STATIC,
  DYNAMIC,
  OCTETS,
}

/** The field memo's entry for one position of a list. */
interface MemoSlot {
  name: string | undefined;
  value: string | undefined;
  never: boolean;
  kind: Memo;
  /** Static index or dynamic entry id. */
  arg: number;
  /**
   * OCTETS: the representation's octets as a latin1 string ('' otherwise). A string of its own per
   * slot rather than room in one Uint8Array for every slot: a client's request memo holds one such
   * field (`:path`), and the array was ~0.35 KB per connection.
   */
  octets: string;
}

const NO_SLAB: Buffer = Buffer.alloc(0);

/** The field memo of an encoder that has made none (shared: growMemo makes a new array, never writes this one). */
const NO_MEMO: MemoSlot[] = [];

/**
 * The slab every encoder of this thread writes its next block into, and where that block starts:
 * a bump allocator, as Node's Buffer pool. One per thread rather than one per encoder: a client
 * of h2load sends one repeated request block, so a slab of its own held 64 KiB for ~50 octets
 * (6.4 MB at -c 100). Octets handed out are never written again.
 */
let sharedSlab: Buffer = NO_SLAB;
let sharedTop = 0;

/** Names whose values change per request, so indexing them only evicts useful entries. */
export const DEFAULT_UNINDEXED_NAMES: ReadonlySet<string> = new Set([
  ':path',
  'age',
  'content-length',
  'etag',
  'if-modified-since',
  'if-none-match',
  'location',
  'set-cookie',
]);

/** The default sensitivity rule: `authorization`, and `cookie` values under 20 octets. */
export function defaultNeverIndex(name: string, value: string): boolean {
  return name === 'authorization' || (name === 'cookie' && value.length < 20);
}

/**
 * What the encoder knows about one name: its static entries (fixed) and its dynamic entries
 * (the newest id with this name, value -> newest id). One map lookup per field finds both.
 */
interface NameRecord {
  /** Lowest static index with this name, 0 when none. */
  staticIndex: number;
  /** Static value -> index, or null. */
  staticValues: ReadonlyMap<string, number> | null;
  /** Newest dynamic entry id with this name, -1 when none. */
  latest: number;
  /**
   * The dynamic entries' values while they are all one value: that value (undefined when none or
   * several) and its newest id. A client's request names have one value each: a Map per name was
   * ~0.2 KB each, two or more per connection.
   */
  value: string | undefined;
  valueId: number;
  /** Dynamic value -> newest id once a name has entries of two values, else null. */
  values: Map<string, number> | null;
  /** The name is in DEFAULT_UNINDEXED_NAMES. */
  noIndex: boolean;
}

/**
 * The records of the static table's names, with no dynamic entries, shared by every encoder (never
 * changed): an encoder's own map holds only the names its dynamic table has entries for, and a
 * name found there shadows its record here.
 */
const STATIC_RECORDS: ReadonlyMap<string, NameRecord> = (() => {
  const m = new Map<string, NameRecord>();
  for (const [name, e] of STATIC_NAMES)
    m.set(name, {
      staticIndex: e.index,
      staticValues: e.values,
      latest: -1,
      value: undefined,
      valueId: -1,
      values: null,
      noIndex: DEFAULT_UNINDEXED_NAMES.has(name),
    });
  return m;
})();

/**
 * One HPACK encoding context. Feed it the header lists of one connection direction, in wire
 * order; each call returns one complete header block.
 */
export class HpackEncoder {
  private readonly cap: number;
  private readonly huffman: HuffmanMode;
  private readonly shouldIndexFn?: (name: string, value: string) => boolean;
  private readonly neverIndexFn: (name: string, value: string) => boolean;
  private readonly table: HeaderTable;
  /**
   * Name -> record for the names with entries in this encoder's dynamic table (a static name's
   * record copied from STATIC_RECORDS, with its dynamic entries); other names are looked up in
   * STATIC_RECORDS. Made on the first insertion. Not a copy of all of STATIC_RECORDS: that map
   * (52 names, ~1.8 KB) per connection was the largest part of a client connection's encoder.
   */
  private dynNames: Map<string, NameRecord> | null = null;
  /** Smallest table size since the last block, and the size to end on; -1 when none pending. */
  private pendingMin = -1;
  private pendingFinal = -1;
  /** While a block is being written: the slab it goes into, and where it starts in it. */
  private buf: Buffer = NO_SLAB;
  private base = 0;
  private broken = false;
  /**
   * The last block that changed nothing in the dynamic table (no insertion, no size update), with
   * the fields it encoded: the same fields against the same table encode to the same bytes, so a
   * server answering with one header list over and over re-sends that block without re-encoding.
   */
  private lastBlock: Buffer | null = null;
  private lastInserted = -1;
  private lastFields: (string | boolean)[] = [];
  /**
   * The field memo: for each of the first MEMO_SLOTS positions of a list, the last field encoded
   * there (name, value, never-index flag) and how: a static index, a dynamic entry id (valid while
   * that entry is in the table) or the representation's octets (a literal whose octets cannot
   * change: a static name with a never-indexed value, or a name the default rule never indexes).
   * A proxy sends lists of one shape whose fields mostly repeat while one or two change (a
   * counter, Date): a repeated field at its place is then written without its map lookups,
   * Huffman coding or index rules. Slots are made as lists reach them (a client's request of six
   * fields holds six, not MEMO_SLOTS: ~1 KB less per connection).
   */
  private memo: MemoSlot[] = NO_MEMO;
  /**
   * Lists encoded that were not a repeat of the last one (sameAsLast). The memo is made from the
   * MEMO_FROM-th on: a client repeating one request encodes it twice (the first adds to the
   * dynamic table, so only the second is remembered whole) and never needs the memo (~0.5 KB
   * per connection), while a proxy's lists that change in a field or two get it from their third.
   */
  private lists = 0;

  constructor(opts: HpackEncoderOptions = {}) {
    const cap = opts.maxTableSize ?? 4096;
    if (!Number.isInteger(cap) || cap < 0 || cap > 0xffffffff)
      throw new ApiMisuseError(`maxTableSize must be an integer in 0..2^32-1, got ${cap}`);
    this.cap = cap;
    this.huffman = opts.huffman ?? 'auto';
    if (!['auto', 'always', 'never'].includes(this.huffman))
      throw new ApiMisuseError(`huffman must be auto, always or never, got ${String(this.huffman)}`);
    this.shouldIndexFn = opts.shouldIndex;
    this.neverIndexFn = opts.neverIndex ?? defaultNeverIndex;
    // RFC 7541 section 4.2 / RFC 9113 section 6.5.2: the peer's limit starts at 4096.
    const initial = Math.min(4096, cap);
    this.table = new HeaderTable(4096, this);
    if (opts.initialTableSize !== undefined) {
      const n = opts.initialTableSize;
      if (!Number.isInteger(n) || n < 0 || n > cap)
        throw new ApiMisuseError(`initialTableSize must be an integer in 0..maxTableSize, got ${n}`);
      this.table.maxSize = n;
    } else if (initial !== 4096) {
      this.setTableSize(initial);
    }
  }

  /**
   * The peer's SETTINGS_HEADER_TABLE_SIZE took effect. The table size used is min(peer, own
   * cap); the change is signalled at the start of the next block. Several changes before that
   * block are sent as two updates when the size went down and back up (shrink-then-grow).
   */
  setPeerMaxTableSize(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new ApiMisuseError(`table size must be an integer in 0..2^32-1, got ${n}`);
    this.setTableSize(Math.min(n, this.cap));
  }

  /** The table size the encoder uses now (after pending updates). */
  get tableSize(): number {
    return this.table.maxSize;
  }

  /** The dynamic table, newest first, with indexes from 62 (for `-d` dumps and debugging). */
  entries(): HeaderTableEntry[] {
    return this.table.entries();
  }

  /** Sum of the entry sizes in the dynamic table. */
  get tableUsed(): number {
    return this.table.size;
  }

  /**
   * Encode one header list into one header block. A field that is not a pair of latin1 byte
   * strings throws ApiMisuseError; the fields before it may already be in the dynamic table, so
   * the context no longer matches the peer's and later calls throw too (start a new context).
   * The block is a view of a 64 KiB slab shared with the following blocks of every encoder of
   * the thread (as Node's pooled Buffers are): it is never overwritten, but keeping one block
   * keeps its slab alive.
   */
  encode(fields: readonly HeaderField[]): Buffer {
    if (this.broken) throw new ApiMisuseError('this HPACK encoder failed on an earlier header list; its context is out of step');
    try {
      return this.encodeBlock(fields);
    } catch (err) {
      this.broken = true;
      if (err instanceof RangeError) throw new ApiMisuseError(err.message);
      throw err;
    }
  }

  /**
   * The last block again for `fields`, which the caller knows to have, field by field, the names
   * and values of the last list encoded (so they are not compared here): when that block left the
   * table as it found it, nothing changed the table since, and the never-index flags match; else
   * null (encode as usual).
   */
  lastBlockFor(fields: readonly HeaderField[]): Buffer | null {
    const last = this.lastFields;
    if (this.broken || this.lastBlock === null || this.pendingFinal >= 0) return null;
    if (last.length !== fields.length * 3 || this.lastInserted !== this.table.inserted) return null;
    for (let i = 0, j = 2; i < fields.length; i++, j += 3) if ((fields[i][2] === true) !== last[j]) return null;
    return this.lastBlock;
  }

  /** Whether `fields` are, field by field, the ones `lastBlock` encodes. */
  private sameAsLast(fields: readonly HeaderField[]): boolean {
    const last = this.lastFields;
    if (last.length !== fields.length * 3 || this.lastInserted !== this.table.inserted) return false;
    for (let i = 0, j = 0; i < fields.length; i++, j += 3) {
      const f = fields[i];
      if (f[0] !== last[j] || f[1] !== last[j + 1] || (f[2] === true) !== last[j + 2]) return false;
    }
    return true;
  }

  /**
   * The field memo's entry for position `i`: `f` was written as `kind` (`arg`: static index or
   * dynamic entry id; OCTETS: its `length` octets start at `arg` in this block's slab).
   */
  private remember(i: number, f: HeaderField, kind: Memo, arg: number, length: number): void {
    const m = this.memo[i];
    m.name = f[0];
    m.value = f[1];
    m.never = f[2] === true;
    m.kind = kind;
    if (kind === Memo.OCTETS) {
      m.octets = this.buf.toString('latin1', arg, arg + length);
      m.arg = 0;
    } else {
      m.arg = arg;
      m.octets = '';
    }
  }

  /** Slots for the first `n` positions (at most MEMO_SLOTS), those held kept. */
  private growMemo(n: number): MemoSlot[] {
    const want = Math.min(n, MEMO_SLOTS);
    const added: MemoSlot[] = [];
    for (let i = this.memo.length; i < want; i++)
      added.push({ name: undefined, value: undefined, never: false, kind: Memo.NONE, arg: 0, octets: '' });
    // concat: an array of exactly `want` slots (pushed one by one, a list of six fields held 17).
    return (this.memo = this.memo.concat(added));
  }

  /** The field memo knows nothing of position `i`. */
  private forgetSlot(i: number): void {
    const m = this.memo[i];
    m.kind = Memo.NONE;
    m.name = m.value = undefined;
  }

  private rememberBlock(fields: readonly HeaderField[], block: Buffer): void {
    const last: (string | boolean)[] = [];
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      last.push(f[0], f[1], f[2] === true);
    }
    // Kept as an exact-size copy (grown by push it holds 3 * 6 fields in ~20 slots): a client keeps
    // its request's for its life.
    this.lastFields = last.slice();
    this.lastBlock = block;
    this.lastInserted = this.table.inserted;
  }

  /**
   * The last block again for the same list, else a new one. Its own small function: where lists
   * repeat (an h2load client's requests) this is the hot path, and V8 optimises it without the
   * large {@link encodeList}, which it compiles only where lists change (a 1.5 MB TurboFan compile
   * of all of it for each repeat check before, late in an h2load run and at its peak RSS).
   */
  private encodeBlock(fields: readonly HeaderField[]): Buffer {
    if (this.lastBlock !== null && this.pendingFinal < 0 && this.sameAsLast(fields)) return this.lastBlock;
    return this.encodeList(fields);
  }

  /** A new block for `fields` (see encodeBlock). */
  private encodeList(fields: readonly HeaderField[]): Buffer {
    const insertedBefore = this.table.inserted;
    const lengthBefore = this.table.length;
    const sizeUpdate = this.pendingFinal >= 0;
    // Take the thread's slab for this block (a callback below that encodes with another encoder
    // finds none and starts its own; whichever is put back last stays shared).
    this.buf = sharedSlab;
    this.base = sharedTop;
    sharedSlab = NO_SLAB;
    sharedTop = 0;
    let pos = this.base;
    if (this.pendingFinal >= 0) {
      // RFC 7541 section 4.2: "This dynamic table size update MUST occur at the beginning of the
      // first header block following the change to the dynamic table size." And: "the smallest
      // maximum table size that occurs in that interval MUST be signaled in a dynamic table size
      // update. The final maximum size is always signaled, resulting in at most two dynamic
      // table size updates."
      pos = this.ensure(pos, 12);
      if (this.pendingMin < this.pendingFinal) pos = writeInteger(this.buf, pos, this.pendingMin, 5, 0x20);
      pos = writeInteger(this.buf, pos, this.pendingFinal, 5, 0x20);
      this.pendingMin = this.pendingFinal = -1;
    }
    // The memo from the third list that is not a repeat of the last one on (see `lists`).
    if (this.lists < MEMO_FROM) this.lists++;
    const memo =
      this.lists >= MEMO_FROM && fields.length > this.memo.length && this.memo.length < MEMO_SLOTS
        ? this.growMemo(fields.length)
        : this.memo;
    // Positions the memo covers in this list (none before it is made).
    const memoed = memo.length;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      const name = f[0];
      const value = f[1];
      // The field at this place in an earlier list, written as it was then (names and values
      // compare by pointer when they are the same strings, as a proxy's repeated fields are).
      if (i < memoed) {
        const m = memo[i];
        if (m.kind !== Memo.NONE && m.name === name && m.value === value && m.never === (f[2] === true)) {
          if (m.kind === Memo.STATIC) {
            pos = this.ensure(pos, 6);
            pos = writeInteger(this.buf, pos, m.arg, 7, 0x80);
            continue;
          }
          if (m.kind === Memo.DYNAMIC) {
            const back = this.table.inserted - m.arg;
            if (back <= this.table.length) {
              pos = this.ensure(pos, 6);
              pos = writeInteger(this.buf, pos, back + STATIC_TABLE_LENGTH, 7, 0x80);
              continue;
            }
          } else {
            const octets = m.octets;
            const n = octets.length;
            pos = this.ensure(pos, n);
            const buf = this.buf;
            for (let j = 0; j < n; j++) buf[pos + j] = octets.charCodeAt(j);
            pos += n;
            continue;
          }
        }
      }
      if (typeof name !== 'string' || typeof value !== 'string') {
        throw new ApiMisuseError(`header field ${i}: name and value must be strings (latin1 byte strings)`);
      }
      const never = f[2] === true || this.neverIndexFn(name, value);
      const rec = this.recordOf(name);
      let nameIdx = 0;
      if (rec !== undefined) {
        if (!never) {
          let idx: number | undefined;
          if (rec.staticValues !== null) idx = rec.staticValues.get(value);
          if (idx !== undefined) {
            // RFC 7541 section 6.1: Indexed Header Field Representation.
            if (i < memoed) this.remember(i, f, Memo.STATIC, idx, 0);
            pos = this.ensure(pos, 6);
            pos = writeInteger(this.buf, pos, idx, 7, 0x80);
            continue;
          }
          const id = rec.value === value ? rec.valueId : rec.values !== null ? rec.values.get(value) : undefined;
          if (id !== undefined) {
            if (i < memoed) this.remember(i, f, Memo.DYNAMIC, id, 0);
            pos = this.ensure(pos, 6);
            pos = writeInteger(this.buf, pos, this.table.inserted - id + STATIC_TABLE_LENGTH, 7, 0x80);
            continue;
          }
        }
        nameIdx = rec.staticIndex > 0 ? rec.staticIndex : this.table.inserted - rec.latest + STATIC_TABLE_LENGTH;
      }
      let indexing = false;
      let first: number;
      let prefix: number;
      if (never) {
        // RFC 7541 section 6.2.3: Literal Header Field Never Indexed.
        first = 0x10;
        prefix = 4;
      } else if (
        this.shouldIndexFn !== undefined
          ? this.shouldIndexFn(name, value)
          : (rec === undefined || !rec.noIndex) && name.length + value.length + ENTRY_OVERHEAD <= (this.table.maxSize * 3) / 4
      ) {
        // RFC 7541 section 6.2.1: Literal Header Field with Incremental Indexing.
        first = 0x40;
        prefix = 6;
        indexing = true;
      } else {
        // RFC 7541 section 6.2.2: Literal Header Field without Indexing.
        first = 0;
        prefix = 4;
      }
      pos = this.ensure(pos, 6);
      // Where this representation starts, from the block's start (a full slab moves the block).
      const startInBlock = pos - this.base;
      if (nameIdx > 0) {
        pos = writeInteger(this.buf, pos, nameIdx, prefix, first);
      } else {
        this.buf[pos++] = first;
        pos = this.writeString(pos, name);
      }
      pos = this.writeString(pos, value);
      if (i >= memoed) {
        if (indexing) this.insert(name, value);
        continue;
      }
      if (indexing) {
        // The entry just added, referred to by its id from now on.
        const id = this.table.inserted;
        this.insert(name, value);
        if (this.table.inserted !== id) this.remember(i, f, Memo.DYNAMIC, id, 0);
        else this.forgetSlot(i);
      } else if (
        rec !== undefined &&
        rec.staticIndex > 0 &&
        (never || (this.shouldIndexFn === undefined && rec.noIndex)) &&
        pos - this.base - startInBlock <= MEMO_OCTETS
      ) {
        // Octets no later table state changes: a static name, and a value either never indexed
        // or of a name the default rule never indexes (so never found in the table either).
        this.remember(i, f, Memo.OCTETS, this.base + startInBlock, pos - this.base - startInBlock);
      } else this.forgetSlot(i);
    }
    const out = this.buf.subarray(this.base, pos);
    sharedSlab = this.buf;
    sharedTop = pos;
    this.buf = NO_SLAB;
    // Only a block that left the table as it found it can be sent again as it is.
    if (!sizeUpdate && this.table.inserted === insertedBefore && this.table.length === lengthBefore) this.rememberBlock(fields, out);
    else this.lastBlock = null;
    return out;
  }

  /** RFC 7541 section 5.2: a string literal, Huffman-coded as the mode says. */
  private writeString(pos: number, s: string): number {
    pos = this.ensure(pos, maxStringSize(s));
    return writeString(this.buf, pos, s, this.huffman);
  }

  private insert(name: string, value: string): void {
    const before = this.table.inserted;
    this.table.add(name, value);
    if (this.table.inserted === before) return; // larger than the table: it was emptied instead
    const id = before;
    let names = this.dynNames;
    if (names === null) names = this.dynNames = new Map();
    let rec = names.get(name);
    if (rec === undefined) {
      const st = STATIC_RECORDS.get(name);
      rec =
        st !== undefined
          ? {
              staticIndex: st.staticIndex,
              staticValues: st.staticValues,
              latest: id,
              value: undefined,
              valueId: -1,
              values: null,
              noIndex: st.noIndex,
            }
          : {
              staticIndex: 0,
              staticValues: null,
              latest: id,
              value: undefined,
              valueId: -1,
              values: null,
              noIndex: DEFAULT_UNINDEXED_NAMES.has(name),
            };
      names.set(name, rec);
    }
    rec.latest = id;
    if (rec.values !== null) rec.values.set(value, id);
    else if (rec.value === undefined || rec.value === value) {
      rec.value = value;
      rec.valueId = id;
    } else {
      // A second value: from now on the map, with the one held so far.
      rec.values = new Map([[rec.value, rec.valueId]]);
      rec.values.set(value, id);
      rec.value = undefined;
    }
  }

  /** What the encoder knows about `name`: its own record (dynamic entries), else the static one. */
  private recordOf(name: string): NameRecord | undefined {
    const names = this.dynNames;
    if (names !== null) {
      const rec = names.get(name);
      if (rec !== undefined) return rec;
    }
    return STATIC_RECORDS.get(name);
  }

  /** @internal The table's eviction hook (EvictionListener): drop map entries that still point at the evicted id. */
  evicted(name: string, value: string, id: number): void {
    const names = this.dynNames;
    const rec = names === null ? undefined : names.get(name);
    if (rec === undefined) return;
    if (rec.latest === id) {
      // The oldest entry was the newest with this name, so no entry with this name is left: a
      // static name is found in STATIC_RECORDS again.
      (names as Map<string, NameRecord>).delete(name);
      return;
    }
    if (rec.values !== null) {
      if (rec.values.get(value) === id) rec.values.delete(value);
    } else if (rec.value === value && rec.valueId === id) rec.value = undefined;
  }

  private setTableSize(size: number): void {
    this.lastBlock = null;
    // Entries may go (a memo of one is checked at use) and the 3/4 rule changes: start afresh.
    for (let i = 0; i < this.memo.length; i++) this.forgetSlot(i);
    this.pendingMin = this.pendingFinal < 0 ? size : Math.min(this.pendingMin, size);
    this.pendingFinal = size;
    this.table.setMaxSize(size);
  }

  /**
   * Make room for `extra` octets at `pos`; returns the position to write at. Blocks are written
   * one after another into a slab and returned as views of it (no copy per block); when the slab
   * is full, the block written so far moves to a new slab.
   */
  private ensure(pos: number, extra: number): number {
    if (pos + extra <= this.buf.length) return pos;
    const used = pos - this.base;
    const next = Buffer.allocUnsafe(Math.max(SLAB_SIZE, (used + extra) * 2));
    this.buf.copy(next, 0, this.base, pos);
    this.buf = next;
    this.base = 0;
    return used;
  }
}
