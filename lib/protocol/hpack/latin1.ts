/**
 * Direct latin1 slice and write on Buffers. Node has had `latin1Slice` / `latin1Write` on every
 * Buffer since v0.x (they back `toString('latin1')` and `write(s, 'latin1')`) but @types/node
 * does not declare them; calling them directly skips the encoding dispatch on the hot path.
 */

interface Latin1Methods {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number, length?: number): number;
}

/** Bytes [start, end) of `buf` as a latin1 byte string (one char per octet). */
export function latin1Slice(buf: Uint8Array, start: number, end: number): string {
  return (buf as unknown as Latin1Methods).latin1Slice(start, end);
}

/** Write a latin1 byte string at `offset`; returns the number of octets written. */
export function latin1Write(buf: Uint8Array, s: string, offset: number): number {
  return (buf as unknown as Latin1Methods).latin1Write(s, offset);
}
