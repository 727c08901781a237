/**
 * Compare nghttp -v traces: mask what legitimately differs (timestamps, dates, version strings,
 * HEADERS lengths that carry them), then split into blocks (one frame or note each; received
 * header lines belong to the frame after them) and keep sends, receives and notes apart, since
 * how the two directions interleave depends on socket timing even between two runs of the
 * reference.
 */
export interface Trace {
  send: string[];
  recv: string[];
  other: string[];
}

export function maskLine(line: string): string {
  return (
    line
      .replace(/^\[ *\d+\.\d{3}\]/, '[T]')
      .replace(/nghttp2(-ts)?\/\d+\.\d+\.\d+(-[\w.]+)?/g, 'nghttp2/V')
      .replace(/^(\s+|\[T\] recv \(stream_id=\d+\) )(date|last-modified): .*/, '$1$2: D')
      .replace(/^(\[T\] (send|recv) (HEADERS|PUSH_PROMISE) frame <length=)\d+/, '$1L')
      // The HTTP2-Settings token is checked on its own (see the -u specs).
      .replace(/^http2-settings: \S+/, 'http2-settings: TOKEN')
  );
}

export function parseTrace(text: string, opts: { dropSettingsAck?: boolean } = {}): Trace {
  const blocks: string[][] = [];
  let pendingHeaders: string[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const line = maskLine(raw);
    if (/^\[T\] recv \(stream_id=\d+\) /.test(line)) {
      pendingHeaders.push(line);
      continue;
    }
    if (line.startsWith('[T]') || blocks.length === 0) {
      blocks.push([...pendingHeaders, line]);
      pendingHeaders = [];
    } else {
      blocks[blocks.length - 1].push(line);
    }
  }
  const t: Trace = { send: [], recv: [], other: [] };
  for (const b of blocks) {
    const text = b.join('\n');
    const head = b.find((l) => /^\[T\] (send|recv) [A-Z_]+ frame/.test(l));
    if (opts.dropSettingsAck && /^\[T\] (send|recv) SETTINGS frame <length=0, flags=0x01/.test(head ?? '')) continue;
    if (head?.startsWith('[T] send')) t.send.push(text);
    else if (head?.startsWith('[T] recv')) t.recv.push(text);
    else t.other.push(text);
  }
  return t;
}

/**
 * Blocks grouped by the stream they belong to (`stream_id=N` of the frame line), each group in
 * order: the server decides how responses on different streams interleave, not the client.
 */
export function byStream(blocks: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const b of blocks) {
    const m = /(?:send|recv) [A-Z_]+ frame <length=[^,]+, flags=0x[0-9a-f]+, stream_id=(\d+)>/.exec(b);
    const k = m ? m[1] : '?';
    (out[k] ??= []).push(b);
  }
  return out;
}
