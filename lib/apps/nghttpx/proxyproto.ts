/**
 * The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) that a load balancer
 * in front of a `proxyproto` frontend sends first: pure, incremental parsing of the bytes read so
 * far into "need more", a malformed header, or the client's address and the bytes it took.
 */

/** The v2 signature: `\r\n\r\n\0\r\nQUIT\n`. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** "the maximum line lengths the receiver must support including the CRLF are: ... 107 bytes" (v1). */
const V1_MAX = 107;

/** A parsed header: the original client's address (undefined for LOCAL / UNKNOWN), and its length. */
export interface ProxyHeader {
  consumed: number;
  source?: { address: string; port: number };
  destination?: { address: string; port: number };
}

/** Result of one parse attempt. */
export type ProxyParse = { kind: 'more' } | { kind: 'error'; message: string } | ({ kind: 'done' } & ProxyHeader);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const PORT = /^(0|[1-9]\d{0,4})$/;

function parseV1(buf: Buffer): ProxyParse {
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end < 0) return buf.length >= V1_MAX ? { kind: 'error', message: 'PROXY v1 header without CRLF within 107 bytes' } : { kind: 'more' };
  if (end + 2 > V1_MAX) return { kind: 'error', message: 'PROXY v1 header longer than 107 bytes' };
  const line = buf.toString('latin1', 0, end);
  const f = line.split(' ');
  if (f[1] === 'UNKNOWN') return { kind: 'done', consumed: end + 2 };
  if (f.length !== 6 || (f[1] !== 'TCP4' && f[1] !== 'TCP6')) return { kind: 'error', message: `malformed PROXY v1 header: ${line}` };
  const [, fam, src, dst, sport, dport] = f;
  const okAddr = (a: string) => (fam === 'TCP4' ? IPV4.test(a) : a.includes(':') && /^[0-9A-Fa-f:.]+$/.test(a));
  if (!okAddr(src) || !okAddr(dst) || !PORT.test(sport) || !PORT.test(dport) || Number(sport) > 65535 || Number(dport) > 65535) {
    return { kind: 'error', message: `malformed PROXY v1 header: ${line}` };
  }
  return {
    kind: 'done',
    consumed: end + 2,
    source: { address: src, port: Number(sport) },
    destination: { address: dst, port: Number(dport) },
  };
}

function ipv6(b: Buffer, off: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(off + i * 2).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function parseV2(buf: Buffer): ProxyParse {
  if (buf.length < 16) return { kind: 'more' };
  const verCmd = buf[12];
  if (verCmd >> 4 !== 2) return { kind: 'error', message: `PROXY v2: unsupported version ${verCmd >> 4}` };
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return { kind: 'error', message: `PROXY v2: unknown command ${cmd}` };
  const fam = buf[13];
  const len = buf.readUInt16BE(14);
  if (buf.length < 16 + len) return { kind: 'more' };
  const consumed = 16 + len;
  // LOCAL: "the receiver must accept this connection as valid and must use the real connection endpoints".
  if (cmd === 0) return { kind: 'done', consumed };
  switch (fam) {
    case 0x11: // TCP over IPv4
    case 0x12: {
      if (len < 12) return { kind: 'error', message: 'PROXY v2: IPv4 address block too short' };
      const a = (o: number) => `${buf[o]}.${buf[o + 1]}.${buf[o + 2]}.${buf[o + 3]}`;
      return {
        kind: 'done',
        consumed,
        source: { address: a(16), port: buf.readUInt16BE(24) },
        destination: { address: a(20), port: buf.readUInt16BE(26) },
      };
    }
    case 0x21: // TCP over IPv6
    case 0x22: {
      if (len < 36) return { kind: 'error', message: 'PROXY v2: IPv6 address block too short' };
      return {
        kind: 'done',
        consumed,
        source: { address: ipv6(buf, 16), port: buf.readUInt16BE(48) },
        destination: { address: ipv6(buf, 32), port: buf.readUInt16BE(50) },
      };
    }
    default:
      // AF_UNSPEC, AF_UNIX: "the receiver ... must use the real connection endpoints".
      return { kind: 'done', consumed };
  }
}

/** Parse the PROXY header at the start of `buf` (v1 text or v2 binary, told apart by their first bytes). */
export function parseProxyHeader(buf: Buffer): ProxyParse {
  const n = Math.min(buf.length, V2_SIGNATURE.length);
  if (buf.subarray(0, n).equals(V2_SIGNATURE.subarray(0, n))) return n < V2_SIGNATURE.length ? { kind: 'more' } : parseV2(buf);
  const v1 = 'PROXY ';
  const m = Math.min(buf.length, v1.length);
  if (buf.toString('latin1', 0, m) !== v1.slice(0, m)) return { kind: 'error', message: 'no PROXY protocol header' };
  return m < v1.length ? { kind: 'more' } : parseV1(buf);
}

/** Build a v1 header (tests, and a client that wants to send one). */
export function encodeProxyV1(src: string, sport: number, dst: string, dport: number): Buffer {
  return Buffer.from(`PROXY ${src.includes(':') ? 'TCP6' : 'TCP4'} ${src} ${dst} ${sport} ${dport}\r\n`, 'latin1');
}

/** Build a v2 PROXY header for TCP over IPv4 (tests). */
export function encodeProxyV2Ipv4(src: string, sport: number, dst: string, dport: number): Buffer {
  const b = Buffer.alloc(28);
  V2_SIGNATURE.copy(b, 0);
  b[12] = 0x21;
  b[13] = 0x11;
  b.writeUInt16BE(12, 14);
  src.split('.').forEach((x, i) => (b[16 + i] = Number(x)));
  dst.split('.').forEach((x, i) => (b[20 + i] = Number(x)));
  b.writeUInt16BE(sport, 24);
  b.writeUInt16BE(dport, 26);
  return b;
}
