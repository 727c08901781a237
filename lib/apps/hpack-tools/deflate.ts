/**
 * deflatehd's engine: header lists (JSON cases or HTTP/1 text) -> HPACK blocks, as one
 * pipeline of stages: input stage -> the HPACK encode stage (per case) -> JSON writer.
 */
import type { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { pipeStages, type Stage } from '../../protocol/stage';
import { HpackEncoder } from '../../protocol/hpack/encoder';
import { hpackEncodeStage } from '../../protocol/hpack/stage';
import type { HeaderField } from '../../protocol/frame/types';
import { toTransform } from '../../../operators/adapt';
import { headerTableJson, http1TextStage, InputCase, jsonCasesStage, jsonWriterStage, ProblemReport } from './cases';
import { caseHeaders, headersToJson } from './stories';

/** deflatehd's options (its flags). */
export interface DeflateOptions {
  /** -s: the peer's SETTINGS_HEADER_TABLE_SIZE. Default 4096. */
  tableSize?: number;
  /** -S: the most the encoder uses. Default 4096. */
  deflateTableSize?: number;
  /** -t: input is HTTP/1-style header text. */
  http1text?: boolean;
  /** -d: add `header_table` to each case. */
  dumpHeaderTable?: boolean;
}

/** Totals for the summary line on stderr. */
export interface DeflateTotals {
  input: number;
  output: number;
}

/** The per-case stage: input case -> result object (or a reported problem). */
export function deflateCaseStage(opts: DeflateOptions, report: ProblemReport, totals: DeflateTotals): Stage<InputCase, object> {
  const tableSize = opts.tableSize ?? 4096;
  const encoder = new HpackEncoder({ maxTableSize: opts.deflateTableSize ?? 4096 });
  // The reference signals the peer's setting only when it differs from the default.
  if (tableSize !== 4096) encoder.setPeerMaxTableSize(tableSize);
  const hpack = hpackEncodeStage(encoder);
  let first = true;
  return {
    push({ index, value }, emit) {
      let fields: HeaderField[];
      try {
        if (value !== null && typeof value === 'object' && 'fields' in value) fields = (value as { fields: HeaderField[] }).fields;
        else if (value === null || typeof value !== 'object' || Array.isArray(value))
          throw new TypeError('a case must be an object with "headers"');
        else fields = caseHeaders((value as { headers?: unknown }).headers);
      } catch (err) {
        report.add(index, (err as Error).message);
        return;
      }
      hpack.push(fields, (block) => {
        let inputLength = 0;
        for (const [n, v] of fields) inputLength += n.length + v.length;
        totals.input += inputLength;
        totals.output += block.length;
        const out: Record<string, unknown> = {
          seq: index,
          input_length: inputLength,
          output_length: block.length,
          percentage_of_original_size: inputLength === 0 ? 0 : (block.length / inputLength) * 100,
          wire: block.toString('hex'),
          headers: headersToJson(fields),
        };
        if (first) out.header_table_size = tableSize;
        first = false;
        if (opts.dumpHeaderTable) out.header_table = headerTableJson(encoder.entries(), encoder.tableUsed, encoder.tableSize);
        emit(out);
      });
    },
  };
}

/**
 * Run deflatehd over `input`, writing the JSON document to `output` and problems (and the
 * summary line) through `stderr`. Resolves to the exit code: 0, or 1 when any case failed.
 */
export async function runDeflatehd(
  opts: DeflateOptions,
  input: Readable,
  output: Writable,
  stderr: (line: string) => void,
): Promise<number> {
  const report = new ProblemReport(stderr);
  const totals: DeflateTotals = { input: 0, output: 0 };
  const stage = pipeStages(
    opts.http1text ? http1TextStage(report) : jsonCasesStage(report),
    deflateCaseStage(opts, report, totals),
    jsonWriterStage(),
  );
  await pipeline(input, toTransform(stage, { bytesIn: true, bytesOut: true }), output);
  const ratio = totals.input === 0 ? 0 : totals.output / totals.input;
  stderr(`Overall: input=${totals.input} output=${totals.output} ratio=${ratio.toFixed(2)}`);
  return report.count > 0 ? 1 : 0;
}
