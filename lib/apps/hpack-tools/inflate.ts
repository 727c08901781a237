/**
 * inflatehd's engine: HPACK blocks (JSON cases with hex `wire`) -> header lists, as one
 * pipeline of stages: JSON input -> the HPACK decode stage (per case) -> JSON writer.
 */
import type { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { pipeStages, type Stage } from '../../protocol/stage';
import { HpackDecoder } from '../../protocol/hpack/decoder';
import { hpackDecodeStage } from '../../protocol/hpack/stage';
import { H2Error, errorCodeName } from '../../protocol/errors';
import { toTransform } from '../../../operators/adapt';
import { headerTableJson, InputCase, jsonCasesStage, jsonWriterStage, ProblemReport } from './cases';
import { headersToJson } from './stories';

/** inflatehd's options. */
export interface InflateOptions {
  /** -d: add `header_table` to each case. */
  dumpHeaderTable?: boolean;
}

/** A case's `wire` as bytes; throws a message naming what is wrong. */
export function parseWire(value: unknown): Buffer {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('a case must be an object with "wire"');
  const wire = (value as { wire?: unknown }).wire;
  if (typeof wire !== 'string') throw new TypeError('"wire" is missing or not a string');
  if (wire.length % 2 !== 0) throw new TypeError(`"wire" has an odd number of hex digits (${wire.length})`);
  const bad = /[^0-9a-fA-F]/.exec(wire);
  if (bad) throw new TypeError(`"wire" has a non-hex character '${bad[0]}' at offset ${bad.index}`);
  return Buffer.from(wire, 'hex');
}

/** A case's `header_table_size`: a number to apply, or undefined (absent or null). */
export function parseTableSize(value: unknown): number | undefined {
  const v = (value as { header_table_size?: unknown }).header_table_size;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new TypeError(`"header_table_size" must be an integer in 0..4294967295 or null, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Text of a decoding error for the report. */
export function describeError(err: unknown): string {
  if (err instanceof H2Error) return `${errorCodeName(err.code)}: ${err.message}`;
  return (err as Error).message;
}

/** The per-case stage: input case -> result object (or a reported problem). */
export function inflateCaseStage(opts: InflateOptions, report: ProblemReport): Stage<InputCase, object> {
  const decoder = new HpackDecoder();
  const hpack = hpackDecodeStage(decoder);
  let lostAt = -1;
  return {
    push({ index, value }, emit) {
      if (lostAt >= 0) {
        report.add(index, `not decoded: the decoding context was lost at case ${lostAt}`);
        return;
      }
      let block: Buffer;
      let size: number | undefined;
      try {
        block = parseWire(value);
        size = parseTableSize(value);
      } catch (err) {
        report.add(index, (err as Error).message);
        return;
      }
      try {
        if (size !== undefined) decoder.setMaxTableSize(size);
        hpack.push(block, (fields) => {
          const out: Record<string, unknown> = { seq: index, wire: block.toString('hex'), headers: headersToJson(fields) };
          if (decoder.sizeUpdated) out.header_table_size = decoder.tableSize;
          if (opts.dumpHeaderTable) out.header_table = headerTableJson(decoder.entries(), decoder.tableUsed, decoder.tableSize);
          emit(out);
        });
      } catch (err) {
        // RFC 7541 section 2.3.4: a decoding error leaves the context unusable, so the blocks
        // after this one cannot be decoded.
        lostAt = index;
        report.add(index, describeError(err));
      }
    },
  };
}

/** Run inflatehd over `input`; resolves to the exit code (1 when any case failed). */
export async function runInflatehd(
  opts: InflateOptions,
  input: Readable,
  output: Writable,
  stderr: (line: string) => void,
): Promise<number> {
  const report = new ProblemReport(stderr);
  const stage = pipeStages(jsonCasesStage(report), inflateCaseStage(opts, report), jsonWriterStage());
  await pipeline(input, toTransform(stage, { bytesIn: true, bytesOut: true }), output);
  return report.count > 0 ? 1 : 0;
}
