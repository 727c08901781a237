/** Helpers of the printer specs: nghttp-style traces split into frame blocks; hpack.js as a decoder. */
import type { BlockDecoder } from '../../../lib/protocol/frame/pipeline';
import type { HeaderField } from '../../../lib/protocol/frame/types';

/** hpack.js (a dev dependency, an independent HPACK implementation) as a BlockDecoder. */
export function hpackJsDecoder(): BlockDecoder {
  const hpack = require('hpack.js');
  const d = hpack.decompressor.create({ table: { size: 4096 } });
  return {
    decode(block: Buffer): HeaderField[] {
      d.write(block);
      d.execute();
      const out: HeaderField[] = [];
      for (let o = d.read(); o !== null; o = d.read()) out.push(o.neverIndex ? [o.name, o.value, true] : [o.name, o.value]);
      return out;
    },
  };
}

/**
 * Frame blocks of a trace (received header lines kept with their frame), split by direction,
 * timestamps masked as `[T]`. Lines that are not part of a frame block are dropped.
 */
export function traceBlocks(text: string): { send: string[]; recv: string[] } {
  const res = { send: [] as string[], recv: [] as string[] };
  let pendingHeaders: string[] = [];
  let cur: string[] | null = null;
  let dir: 'send' | 'recv' = 'send';
  const flush = () => {
    if (cur) res[dir].push(cur.join('\n'));
    cur = null;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\[ *\d+\.\d{3}\]/, '[T]');
    const frame = /^\[T\] (send|recv) (\S+) frame </.exec(line);
    if (frame) {
      flush();
      dir = frame[1] as 'send' | 'recv';
      cur = [...pendingHeaders, line];
      pendingHeaders = [];
    } else if (/^\[T\] recv \(stream_id=/.test(line)) {
      flush();
      pendingHeaders.push(line);
    } else if (line.startsWith('          ') && cur) {
      cur.push(line);
    } else {
      flush();
    }
  }
  flush();
  return res;
}
