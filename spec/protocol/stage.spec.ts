import test from 'ava';
import { from, lastValueFrom, toArray } from 'rxjs';
import { Readable } from 'stream';
import { compose, mapStage, runStage, Stage } from '../../lib/protocol/stage';
import { toOperator, toTransform } from '../../operators/adapt';

/** A stage that splits strings into characters and, at the end, emits a marker. */
const chars = (): Stage<string, string> => ({
  push: (s, emit) => {
    for (const c of s) emit(c);
  },
  end: (emit) => emit('$'),
});

test('compose runs two stages as one', (t) => {
  const upper = mapStage((c: string) => c.toUpperCase());
  t.deepEqual(runStage(compose(chars(), upper), ['ab', 'c']), ['A', 'B', 'C', '$']);
});

test('toOperator and toTransform give the same output as the bare stage', async (t) => {
  const viaRx = await lastValueFrom(from(['ab', 'c']).pipe(toOperator(chars), toArray()));
  const viaStream: string[] = [];
  for await (const c of Readable.from(['ab', 'c']).pipe(toTransform(chars))) viaStream.push(c);
  t.deepEqual(viaRx, ['a', 'b', 'c', '$']);
  t.deepEqual(viaStream, viaRx);
});

test('a stage error reaches the stream and the observable unchanged', async (t) => {
  const failing = (): Stage<string, string> => ({
    push: () => {
      throw new RangeError('bad');
    },
  });
  await t.throwsAsync(lastValueFrom(from(['x']).pipe(toOperator(failing))), { instanceOf: RangeError });
  const tr = toTransform(failing);
  const err = await new Promise<Error>((resolve) => {
    tr.on('error', resolve);
    tr.write('x');
  });
  t.true(err instanceof RangeError);
});
