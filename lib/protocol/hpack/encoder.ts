/**
 * The HPACK encoder (RFC 7541 sections 4 and 6): one compression context, header lists in,
 * header blocks out. Owns the encoder's dynamic table, its lookup maps and the pending
 * dynamic table size updates.
 */
import type { HeaderField } from '../frame/types';
import { ApiMisuseError } from '../errors';
import { HeaderTable, HeaderTableEntry, ENTRY_OVERHEAD } from './header-table';
import { STATIC_NAMES, STATIC_TABLE_LENGTH } from './static-table';
import { huffmanEncodedLength, writeHuffman } from './huffman';
import { writeInteger } from './integer';
import { latin1Write } from './latin1';

export type { HeaderField };

/** How string literals are coded. */
export type HuffmanMode = 'auto' | 'always' | 'never';

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
}

/** Names whose values change per request, so indexing them only evicts useful entries. */
export const DEFAULT_UNINDEXED_NAMES: ReadonlySet<string> = new Set([
  ':path', 'age', 'content-length', 'etag', 'if-modified-since', 'if-none-match', 'location', 'set-cookie',
]);

/** The default sensitivity rule: `authorization`, and `cookie` values under 20 octets. */
export function defaultNeverIndex(name: string, value: string): boolean {
  return name === 'authorization' || (name === 'cookie' && value.length < 20);
}

/** Per name: the newest dynamic entry id with this name, and value -> newest id. */
interface DynamicName {
  latest: number;
  values: Map<string, number>;
}

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
  private readonly names = new Map<string, DynamicName>();
  /** Smallest table size since the last block, and the size to end on; -1 when none pending. */
  private pendingMin = -1;
  private pendingFinal = -1;
  private buf = Buffer.allocUnsafe(4096);
  private broken = false;

  constructor(opts: HpackEncoderOptions = {}) {
    const cap = opts.maxTableSize ?? 4096;
    if (!Number.isInteger(cap) || cap < 0 || cap > 0xffffffff) throw new ApiMisuseError(`maxTableSize must be an integer in 0..2^32-1, got ${cap}`);
    this.cap = cap;
    this.huffman = opts.huffman ?? 'auto';
    if (!['auto', 'always', 'never'].includes(this.huffman)) throw new ApiMisuseError(`huffman must be auto, always or never, got ${String(this.huffman)}`);
    this.shouldIndexFn = opts.shouldIndex;
    this.neverIndexFn = opts.neverIndex ?? defaultNeverIndex;
    // RFC 7541 section 4.2 / RFC 9113 section 6.5.2: the peer's limit starts at 4096.
    const initial = Math.min(4096, cap);
    this.table = new HeaderTable(4096, (name, value, id) => this.forget(name, value, id));
    if (initial !== 4096) this.setTableSize(initial);
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

  private encodeBlock(fields: readonly HeaderField[]): Buffer {
    let pos = 0;
    if (this.pendingFinal >= 0) {
      // RFC 7541 section 4.2: "This dynamic table size update MUST occur at the beginning of the
      // first header block following the change to the dynamic table size." Section 6.3 and
      // RFC 9113 section 4.3.1: the smallest size reached comes first, then the final one.
      this.ensure(pos + 12);
      if (this.pendingMin < this.pendingFinal) pos = writeInteger(this.buf, pos, this.pendingMin, 5, 0x20);
      pos = writeInteger(this.buf, pos, this.pendingFinal, 5, 0x20);
      this.pendingMin = this.pendingFinal = -1;
    }
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      const name = f[0];
      const value = f[1];
      if (typeof name !== 'string' || typeof value !== 'string') {
        throw new ApiMisuseError(`header field ${i}: name and value must be strings (latin1 byte strings)`);
      }
      const never = f[2] === true || this.neverIndexFn(name, value);
      const st = STATIC_NAMES.get(name);
      const dyn = this.names.get(name);
      if (!never) {
        let idx = st ? st.values.get(value) : undefined;
        if (idx === undefined && dyn) {
          const id = dyn.values.get(value);
          if (id !== undefined) idx = this.table.inserted - id + STATIC_TABLE_LENGTH;
        }
        if (idx !== undefined) {
          // RFC 7541 section 6.1: Indexed Header Field Representation.
          this.ensure(pos + 6);
          pos = writeInteger(this.buf, pos, idx, 7, 0x80);
          continue;
        }
      }
      const nameIdx = st ? st.index : dyn ? this.table.inserted - dyn.latest + STATIC_TABLE_LENGTH : 0;
      let indexing = false;
      let first: number;
      let prefix: number;
      if (never) {
        // RFC 7541 section 6.2.3: Literal Header Field Never Indexed.
        first = 0x10;
        prefix = 4;
      } else if (this.shouldIndex(name, value)) {
        // RFC 7541 section 6.2.1: Literal Header Field with Incremental Indexing.
        first = 0x40;
        prefix = 6;
        indexing = true;
      } else {
        // RFC 7541 section 6.2.2: Literal Header Field without Indexing.
        first = 0;
        prefix = 4;
      }
      this.ensure(pos + 6);
      if (nameIdx > 0) {
        pos = writeInteger(this.buf, pos, nameIdx, prefix, first);
      } else {
        this.buf[pos++] = first;
        pos = this.writeString(pos, name);
      }
      pos = this.writeString(pos, value);
      if (indexing) this.insert(name, value);
    }
    const out = Buffer.allocUnsafe(pos);
    this.buf.copy(out, 0, 0, pos);
    return out;
  }

  private shouldIndex(name: string, value: string): boolean {
    if (this.shouldIndexFn) return this.shouldIndexFn(name, value);
    if (name.length + value.length + ENTRY_OVERHEAD > (this.table.maxSize * 3) / 4) return false;
    return !DEFAULT_UNINDEXED_NAMES.has(name);
  }

  /** RFC 7541 section 5.2: a string literal, Huffman-coded when the mode says so. */
  private writeString(pos: number, s: string): number {
    const mode = this.huffman;
    if (mode !== 'never') {
      const hl = huffmanEncodedLength(s); // also rejects characters above U+00FF
      if (mode === 'always' || hl < s.length) {
        this.ensure(pos + hl + 6);
        pos = writeInteger(this.buf, pos, hl, 7, 0x80);
        return writeHuffman(this.buf, pos, s);
      }
    } else {
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) > 0xff) throw new RangeError('header strings must be latin1 byte strings (no character above U+00FF)');
      }
    }
    this.ensure(pos + s.length + 6);
    pos = writeInteger(this.buf, pos, s.length, 7, 0);
    return pos + latin1Write(this.buf, s, pos);
  }

  private insert(name: string, value: string): void {
    const before = this.table.inserted;
    this.table.add(name, value);
    if (this.table.inserted === before) return; // larger than the table: it was emptied instead
    const id = this.table.inserted - 1;
    let dn = this.names.get(name);
    if (!dn) this.names.set(name, (dn = { latest: id, values: new Map() }));
    dn.latest = id;
    dn.values.set(value, id);
  }

  /** Eviction hook: drop map entries that still point at the evicted id. */
  private forget(name: string, value: string, id: number): void {
    const dn = this.names.get(name);
    if (!dn) return;
    if (dn.latest === id) {
      // The oldest entry was the newest with this name, so no entry with this name is left.
      this.names.delete(name);
      return;
    }
    if (dn.values.get(value) === id) dn.values.delete(value);
  }

  private setTableSize(size: number): void {
    this.pendingMin = this.pendingFinal < 0 ? size : Math.min(this.pendingMin, size);
    this.pendingFinal = size;
    this.table.setMaxSize(size);
  }

  private ensure(n: number): void {
    if (n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
    this.buf.copy(next);
    this.buf = next;
  }
}
