/**
 * The parts deflatehd and inflatehd share: the problem report, the input stages (a JSON
 * document of cases, or HTTP/1-style header text) and the output stage (one complete JSON
 * document, written case by case).
 */
import type { Stage } from '../../protocol/stage';
import type { HeaderField } from '../../protocol/frame/types';
import { HeaderTableEntry } from '../../protocol/hpack/header-table';
import { bytesToText } from './stories';

/** Collects what went wrong, case by case; the tools print each line on stderr. */
export class ProblemReport {
  /** Number of problems reported. */
  count = 0;
  constructor(private readonly sink: (line: string) => void) {}

  /** Report one problem; `index` is the case index, or null for the whole input. */
  add(index: number | null, message: string): void {
    this.count++;
    this.sink(index === null ? message : `case ${index}: ${message}`);
  }
}

/** One input case with its index in the input. */
export interface InputCase {
  index: number;
  value: unknown;
}

/** `line L, column C` of a character offset in a text. */
export function lineColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/**
 * Offset of the first syntax error in a JSON text (JSON.parse does not always say where):
 * a small scanner run only after JSON.parse failed. Iterative, so deep nesting cannot overflow.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const matchAt = (re: RegExp, at: number) => {
    re.lastIndex = at;
    return re.exec(text);
  };
  const stringAt = (at: number) => matchAt(STRING, at);
  // Stack of open containers: '{' or '['; `want` says what may come next.
  const stack: string[] = [];
  let want: 'value' | 'key' | 'after' | 'key-or-close' | 'value-or-close' = 'value';
  for (;;) {
    ws();
    if (i >= n) return n;
    const c = text[i];
    if (want === 'value' || want === 'value-or-close') {
      if (want === 'value-or-close' && c === ']') {
        stack.pop();
        i++;
        want = 'after';
      } else if (c === '{') {
        stack.push('{');
        i++;
        want = 'key-or-close';
      } else if (c === '[') {
        stack.push('[');
        i++;
        want = 'value-or-close';
      } else if (c === '"') {
        const m = stringAt(i);
        if (!m) return i;
        i += m[0].length;
        want = 'after';
      } else {
        const m = matchAt(LITERAL, i);
        if (!m) return i;
        i += m[0].length;
        want = 'after';
      }
    } else if (want === 'key' || want === 'key-or-close') {
      if (want === 'key-or-close' && c === '}') {
        stack.pop();
        i++;
        want = 'after';
        continue;
      }
      const m = stringAt(i);
      if (!m) return i;
      i += m[0].length;
      ws();
      if (text[i] !== ':') return i;
      i++;
      want = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return i; // text after the document
      if (c === ',') {
        i++;
        want = top === '{' ? 'key' : 'value';
      } else if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
        stack.pop();
        i++;
      } else {
        return i;
      }
    }
  }
}

/**
 * Bytes -> cases: gathers the input, parses it as one JSON document `{"cases": [...]}` at the
 * end, and emits every element of `cases`. Invalid JSON is reported with its line and column.
 */
export function jsonCasesStage(report: ProblemReport): Stage<Buffer, InputCase> {
  const chunks: Buffer[] = [];
  return {
    push(chunk) {
      chunks.push(chunk);
    },
    end(emit) {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        report.add(null, 'no input: expected a JSON document {"cases": [...]} on stdin (the input is empty)');
        return;
      }
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        const msg = (err as Error).message.replace(/\s+/g, ' ');
        const m = /at position (\d+)/.exec(msg);
        const at = m ? Number(m[1]) : jsonErrorOffset(text);
        report.add(null, `invalid JSON input: ${msg} (${lineColumn(text, at)})`);
        return;
      }
      if (doc === null || typeof doc !== 'object' || !Array.isArray((doc as { cases?: unknown }).cases)) {
        report.add(null, 'the input must be a JSON object with a "cases" array');
        return;
      }
      (doc as { cases: unknown[] }).cases.forEach((value, index) => emit({ index, value }));
    },
  };
}

/**
 * Bytes -> cases for `deflatehd -t`: HTTP/1-style `name: value` lines, one header list per
 * block, blocks separated by an empty line. LF or CRLF; a last block without a trailing empty
 * line counts. A name may start with ':' (pseudo-header fields).
 */
export function http1TextStage(report: ProblemReport): Stage<Buffer, InputCase> {
  const chunks: Buffer[] = [];
  return {
    push(chunk) {
      chunks.push(chunk);
    },
    end(emit) {
      // Bytes stay bytes: latin1 gives one char per octet, as header strings are.
      const lines = Buffer.concat(chunks).toString('latin1').split(/\r?\n/);
      let block: HeaderField[] = [];
      let bad: string | null = null;
      let index = 0;
      const flush = () => {
        if (bad !== null) report.add(index, bad);
        else emit({ index, value: { fields: block } });
        index++;
        block = [];
        bad = null;
      };
      let started = false;
      lines.forEach((line, n) => {
        if (line === '') {
          if (started) flush();
          started = false;
          return;
        }
        started = true;
        const colon = line.indexOf(':', 1);
        if (colon < 0) {
          bad ??= `line ${n + 1}: no ':' between name and value in '${bytesToText(line).slice(0, 60)}'`;
          return;
        }
        block.push([line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]+/, '')]);
      });
      if (started) flush();
    },
  };
}

/** The `header_table` object of `-d`. */
export function headerTableJson(entries: HeaderTableEntry[], size: number, maxSize: number): object {
  return {
    entries: entries.map((e) => ({ index: e.index, name: bytesToText(e.name), value: bytesToText(e.value), size: e.size })),
    size,
    max_size: maxSize,
  };
}

/** Indent every line after the first of a JSON text by `pad`. */
function indent(json: string, pad: string): string {
  return json.replace(/\n/g, '\n' + pad);
}

/**
 * Result objects -> text: one complete JSON document `{"cases": [...]}`, streamed case by case
 * (2-space indent, as nghttp2's tools print). Always ends the document, even with no case.
 */
export function jsonWriterStage(): Stage<object, Buffer> {
  let first = true;
  return {
    push(obj, emit) {
      const body = '    ' + indent(JSON.stringify(obj, null, 2), '    ');
      emit(Buffer.from((first ? '{\n  "cases": [\n' : ',\n') + body, 'utf8'));
      first = false;
    },
    end(emit) {
      emit(Buffer.from(first ? '{\n  "cases": []\n}\n' : '\n  ]\n}\n', 'utf8'));
    },
  };
}
