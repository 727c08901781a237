import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import test from 'ava';
import { unpinFields } from '../../lib/protocol/mutable-fields';

test('unpinFields keeps every field value and the shape; a field that is not there throws', (t) => {
  class A {
    ended = false;
    id = -1;
    timer: object | undefined;
    other: object | null = null;
    constructor() {
      unpinFields(this, 'ended', 'id', 'timer', 'other');
    }
  }
  const a = new A();
  t.deepEqual({ ...a }, { ended: false, id: -1, timer: undefined, other: null });
  t.deepEqual(Object.keys(a), ['ended', 'id', 'timer', 'other']);
  t.throws(() => unpinFields(a, 'nope'), { message: /no field nope/ });
  t.false('nope' in a);
});

// V8's own account (--trace-generalization): a field assigned once at end of life is turned from
// const to mutable at that assignment, which deoptimizes the code that read it; unpinned, it never is.
test('unpinFields: the end-of-life assignment no longer turns a const field mutable (V8 trace)', (t) => {
  const lib = path.join(__dirname, '../../lib/protocol/mutable-fields.js');
  const run = (unpin: boolean): string =>
    execFileSync(
      process.execPath,
      [
        '--trace-generalization',
        '-e',
        `const { unpinFields } = require(${JSON.stringify(lib)});
         class Conn { constructor() { this.endedFlag = false; ${unpin ? "unpinFields(this, 'endedFlag');" : ''} } }
         function endOfLife(c) { c.endedFlag = true; }
         const conns = [];
         for (let i = 0; i < 10; i++) conns.push(new Conn());
         endOfLife(conns[0]);`,
      ],
      { encoding: 'utf8' },
    );
  // The trace names the function that made the store: the end-of-life one, or unpinFields.
  const late = (out: string) =>
    out.split('\n').some((l) => l.includes('endedFlag:h{Any;const}->h{Any;mutable}') && l.includes('endOfLife'));
  t.true(late(run(false)), 'without unpinFields V8 makes the field mutable at end of life');
  t.false(late(run(true)), 'with unpinFields it already is');
});
