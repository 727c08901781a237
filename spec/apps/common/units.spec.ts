import test from 'ava';
import { parseDuration, parseIntInRange, parseSize, UsageError } from '../../../lib/apps/common/units';

test('SIZE takes K, M and G as powers of 1024', (t) => {
  t.is(parseSize('4096'), 4096);
  t.is(parseSize('16K'), 16384);
  t.is(parseSize('1m'), 1048576);
  t.is(parseSize('2G'), 2 * 1024 ** 3);
  t.throws(() => parseSize('12Q', '-c'), { instanceOf: UsageError, message: /-c: bad SIZE '12Q'/ });
  t.throws(() => parseSize('-1'), { instanceOf: UsageError });
});

test('DURATION defaults to seconds and takes h, m, s and ms', (t) => {
  t.is(parseDuration('30'), 30000);
  t.is(parseDuration('1.5s'), 1500);
  t.is(parseDuration('500ms'), 500);
  t.is(parseDuration('2m'), 120000);
  t.is(parseDuration('1h'), 3600000);
  t.throws(() => parseDuration('soon', '-t'), { instanceOf: UsageError, message: /-t: bad DURATION/ });
});

test('integers are range-checked', (t) => {
  t.is(parseIntInRange('16', '-p', 1, 256), 16);
  t.throws(() => parseIntInRange('0', '-p', 1, 256), { message: /out of range/ });
  t.throws(() => parseIntInRange('x', '-p', 1, 256), { message: /not an integer/ });
});
