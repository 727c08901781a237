/**
 * HTTP/2 frames written by hand for specs that judge a peer against the wire, not against this
 * library: the preface, frame headers, SETTINGS, literal-only HPACK blocks, request HEADERS.
 * No library code is used, on purpose.
 */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Frame types and flags by their RFC names. */
export const T = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
};
export const F = { END_STREAM: 1, ACK: 1, END_HEADERS: 4, PADDED: 8, PRIORITY: 0x20 };
export const E = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
  FLOW_CONTROL_ERROR: 3,
  SETTINGS_TIMEOUT: 4,
  STREAM_CLOSED: 5,
  FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7,
  CANCEL: 8,
  COMPRESSION_ERROR: 9,
  CONNECT_ERROR: 10,
  ENHANCE_YOUR_CALM: 11,
  INADEQUATE_SECURITY: 12,
  HTTP_1_1_REQUIRED: 13,
};

/** One frame on the wire. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer | number[] = Buffer.alloc(0)): Buffer {
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const h = Buffer.alloc(9);
  h.writeUIntBE(p.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId >>> 0, 5);
  return Buffer.concat([h, p]);
}
export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
export function settings(entries: Array<[number, number]>, flags = 0): Buffer {
  const p = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, v], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(v >>> 0, i * 6 + 2);
  });
  return frame(T.SETTINGS, flags, 0, p);
}

/** HPACK integer with an N-bit prefix (RFC 7541 section 5.1). */
export function hpackInt(first: number, prefixBits: number, n: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (n < max) return [first | n];
  const out = [first | max];
  n -= max;
  while (n >= 128) {
    out.push((n & 127) | 128);
    n >>= 7;
  }
  out.push(n);
  return out;
}
/**
 * A header block of literal fields, no Huffman (independent of any encoder): without indexing, or
 * with `index` added to the dynamic table (RFC 7541 section 6.2.1).
 */
export function block(fields: Array<[string, string]>, index = false): Buffer {
  const out: number[] = [];
  for (const [n, v] of fields) {
    out.push(index ? 0x40 : 0x00, ...hpackInt(0, 7, Buffer.byteLength(n, 'latin1')), ...Buffer.from(n, 'latin1'));
    out.push(...hpackInt(0, 7, Buffer.byteLength(v, 'latin1')), ...Buffer.from(v, 'latin1'));
  }
  return Buffer.from(out);
}
export function request(p: string, extra: Array<[string, string]> = [], method = 'GET', authority = 'localhost'): Array<[string, string]> {
  return [[':method', method], [':scheme', 'http'], [':authority', authority], [':path', p], ...extra];
}
export function headers(streamId: number, fields: Array<[string, string]> | Buffer, flags = F.END_STREAM | F.END_HEADERS): Buffer {
  return frame(T.HEADERS, flags, streamId, Buffer.isBuffer(fields) ? fields : block(fields));
}

/**
 * A raw server's 'data' handler for a client's bytes: skips the 24-octet connection preface, then
 * calls `onFrame` once per whole frame (type, flags, stream id, payload view), keeping a partial
 * frame until the rest arrives. Deliberately not the library's Deframer: the peer under test.
 */
export function clientFrames(onFrame: (type: number, flags: number, streamId: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  let prefaceLeft = PREFACE.length;
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    if (prefaceLeft > 0) {
      const n = Math.min(prefaceLeft, buf.length);
      buf = buf.subarray(n);
      prefaceLeft -= n;
    }
    while (buf.length >= 9) {
      const len = buf.readUIntBE(0, 3);
      if (buf.length < 9 + len) break;
      const payload = buf.subarray(9, 9 + len);
      const type = buf[3];
      const flags = buf[4];
      const id = buf.readUInt32BE(5) & 0x7fffffff;
      buf = buf.subarray(9 + len);
      onFrame(type, flags, id, payload);
    }
  };
}
