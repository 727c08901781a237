/**
 * Target `hpack-tools`: deflatehd's and inflatehd's input handling, run as the tools run it
 * (input stage -> per-case HPACK stage -> JSON writer) on a user's file. The first octet picks
 * the tool: 0 inflatehd (`{"cases":[{"wire": ...}]}`), 1 inflatehd -d, 2 deflatehd (JSON
 * cases), 3 deflatehd -t (HTTP/1-style header text) with -s 256. Clean outcomes: output and
 * problems reported line by line (the tools exit 1 on those); anything thrown is a crash, as it
 * would end the tool with a stack trace.
 */
import { pipeStages } from '../../lib/protocol/stage';
import { http1TextStage, jsonCasesStage, jsonWriterStage, ProblemReport } from '../../lib/apps/hpack-tools/cases';
import { deflateCaseStage } from '../../lib/apps/hpack-tools/deflate';
import { inflateCaseStage } from '../../lib/apps/hpack-tools/inflate';
import type { FuzzTarget } from './target';

export const target: FuzzTarget = {
  name: 'hpack-tools',
  maxLen: 4096,
  dictionary: [
    '{"cases":[',
    ']}',
    '{"wire":"',
    '"}',
    '"header_table_size":',
    'null',
    '4096',
    '0',
    '-1',
    '1e3',
    '4294967296',
    '{"headers":[',
    '{":method":"GET"}',
    '{"a":"b"}',
    ',',
    '"',
    '\\u0000',
    '\\u00ff',
    '\\u20ac',
    '\\ud800',
    ': ',
    '\n',
    '\r\n',
    '82',
    '3fe11f',
    '40016103e282ac',
    'ff',
    '7f',
    '00',
  ],
  run(input: Buffer): void {
    const mode = input.length ? input[0] & 3 : 0;
    const report = new ProblemReport(() => undefined);
    const stage =
      mode < 2
        ? pipeStages(jsonCasesStage(report), inflateCaseStage({ dumpHeaderTable: mode === 1 }, report), jsonWriterStage())
        : pipeStages(
            mode === 3 ? http1TextStage(report) : jsonCasesStage(report),
            deflateCaseStage({ tableSize: mode === 3 ? 256 : 4096, dumpHeaderTable: mode === 3 }, report, { input: 0, output: 0 }),
            jsonWriterStage(),
          );
    const sink = () => undefined;
    stage.push(input.subarray(1), sink);
    stage.end?.(sink);
  },
};
