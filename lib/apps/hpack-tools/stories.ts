/**
 * Reading hpack-test-case story files (http2jp/hpack-test-case format): one compression
 * context per file, `cases` in order, `headers` as one-key objects. JSON text is UTF-8; header
 * names and values become latin1 byte strings (one char per octet) at this boundary.
 */
import fs = require('fs');
import path = require('path');
import type { HeaderField } from '../../protocol/frame/types';

/** One case of a story as read from the file (fields checked by the tools, not here). */
export interface StoryCase {
  seqno?: number;
  wire?: string;
  header_table_size?: number | null;
  headers?: Record<string, string>[];
}

/** A story file: one compression context. */
export interface Story {
  description?: string;
  context?: string;
  cases: StoryCase[];
}

/** JSON text (UTF-8) -> byte string: the octets of its UTF-8 encoding, one char per octet. */
export function textToBytes(s: string): string {
  // Pure ASCII is the common case and needs no conversion.
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'utf8').toString('latin1');
  }
  return s;
}

/** Byte string -> JSON text: the octets read as UTF-8 (invalid sequences become U+FFFD). */
export function bytesToText(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'latin1').toString('utf8');
  }
  return s;
}

/** `headers` of a case as header fields (byte strings). Throws on a malformed entry. */
export function caseHeaders(headers: unknown): HeaderField[] {
  if (!Array.isArray(headers)) throw new TypeError('"headers" must be an array of one-key objects');
  return headers.map((h, i) => {
    if (h === null || typeof h !== 'object' || Array.isArray(h)) throw new TypeError(`headers[${i}] is not an object`);
    const keys = Object.keys(h);
    if (keys.length !== 1) throw new TypeError(`headers[${i}] must have exactly one key, has ${keys.length}`);
    const v = (h as Record<string, unknown>)[keys[0]];
    if (typeof v !== 'string') throw new TypeError(`headers[${i}] value of "${keys[0]}" must be a string`);
    return [textToBytes(keys[0]), textToBytes(v)] as HeaderField;
  });
}

/** Header fields -> the JSON `headers` form. */
export function headersToJson(fields: readonly HeaderField[]): Record<string, string>[] {
  return fields.map((f) => ({ [bytesToText(f[0])]: bytesToText(f[1]) }));
}

/** Read and parse one story file (throws on unreadable file or invalid JSON). */
export function readStory(file: string): Story {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Story;
  if (!doc || !Array.isArray(doc.cases)) throw new TypeError(`${file}: no "cases" array`);
  return doc;
}

/** The story files of a directory, sorted by name. */
export function storyFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^story_\d+\.json$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}
