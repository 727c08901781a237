/**
 * The canonical hex dump nghttp prints for `--hexdump` (the `hexdump -C` layout): offset,
 * sixteen octets in two groups of eight, the printable characters between bars, a `*` line for
 * runs of identical 16-octet lines, and a last line holding the total length.
 */

function asciiColumn(b: Buffer, start: number, end: number): string {
  let s = '|';
  for (let i = start; i < end; i++) {
    const c = b[i];
    s += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '.';
  }
  return s + '|';
}

function line(b: Buffer, start: number, end: number): string {
  let s = start.toString(16).padStart(8, '0') + '  ';
  for (let i = 0; i < 16; i++) {
    s += start + i < end ? b[start + i].toString(16).padStart(2, '0') + ' ' : '   ';
    if (i === 7) s += ' ';
  }
  return s + ' ' + asciiColumn(b, start, end);
}

/**
 * Format `data` as nghttp's `--hexdump` does; returns the text with a trailing newline, or ''
 * for no data (nghttp prints nothing then).
 */
export function hexdump(data: Buffer): string {
  if (data.length === 0) return '';
  const out: string[] = [];
  let repeated = false;
  for (let off = 0; off < data.length; off += 16) {
    const end = Math.min(off + 16, data.length);
    if (end - off === 16 && off > 0 && data.compare(data, off - 16, off, off, end) === 0) {
      if (!repeated) {
        out.push('*');
        repeated = true;
      }
      continue;
    }
    repeated = false;
    out.push(line(data, off, end));
  }
  out.push(data.length.toString(16).padStart(8, '0'));
  return out.join('\n') + '\n';
}
