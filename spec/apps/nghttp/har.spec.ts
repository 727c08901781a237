import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { formatHar, formatReal } from '../../../lib/apps/nghttp/har';
import type { RequestRecord } from '../../../lib/apps/nghttp/records';
import { harProblems, keyPaths } from './har-validate';
import { repoRoot } from '../../helpers/repo';


test('doubles print as %.17g does (jansson), with a fraction always', (t) => {
  t.is(formatReal(0), '0.0');
  t.is(formatReal(0.564), '0.56399999999999995');
  t.is(formatReal(0.219), '0.219');
  t.is(formatReal(0.084), '0.084000000000000005');
  t.is(formatReal(2), '2.0');
  t.is(formatReal(0.016), '0.016');
  t.is(formatReal(1234.5), '1234.5');
  t.is(formatReal(0.00001), '1.0000000000000001e-05');
});

const reqHeaders: [string, string][] = [[':method', 'GET'], [':path', '/1k'], [':scheme', 'http'], [':authority', '127.0.0.1:47180']];
function rec(p: Partial<RequestRecord>): RequestRecord {
  return {
    streamId: 13, uri: 'http://127.0.0.1:47180/1k', path: '/1k', method: 'GET', pushed: false,
    requestHeaders: reqHeaders, responseHeaders: [[':status', '200'], ['content-type', 'text/plain'], ['x-utf8', '\xc3\xa9']],
    status: 200, responseLength: 1024, completed: true, ...p,
  };
}

test('HAR 1.2: required fields present, timings as the reference computes them, layout as the sample', (t) => {
  const timing = { startWallMs: Date.UTC(2026, 10, 24, 21, 52, 17, 567), start: 1_000_000, dnsEnd: 1_000_084, connectEnd: 1_000_303 };
  const text = formatHar(timing, [
    rec({ streamId: 13, requestStart: 1_000_397, responseStart: 1_000_548, responseEnd: 1_000_564 }),
    rec({ streamId: 15, requestStart: 1_001_000, responseStart: 1_001_165, responseEnd: 1_001_167 }),
    rec({ streamId: 2, pushed: true, requestStart: 1_001_000, responseStart: 1_001_100, responseEnd: 1_001_200 }),
    rec({ streamId: 17, completed: false, requestStart: 1_001_000 }),
  ], '9.9.9');
  t.false(text.endsWith('\n'));
  const har = JSON.parse(text);
  t.deepEqual(harProblems(har), []);
  t.is(har.log.creator.name, 'nghttp');
  t.is(har.log.entries.length, 3);
  const [e0, e1, e2] = har.log.entries;
  t.is(e0.startedDateTime, '2026-11-24T21:52:17.567Z');
  t.is(e0.time, 0.564);
  t.deepEqual(e0.timings, { dns: 0.084, connect: 0.219, blocked: 0, send: 0, wait: 0.151, receive: 0.016 });
  t.is(e0.connection, '13');
  t.is(e0.response.content.mimeType, 'text/plain');
  t.is(e0.response.headers[2].value, 'é');
  t.is(e1.startedDateTime, '2026-11-24T21:52:17.568Z');
  t.is(e1.time, 0.167);
  t.deepEqual(e1.timings, { dns: 0, connect: 0, blocked: 0, send: 0, wait: 0.165, receive: 0.002 });
  t.is(e2.comment, 'Pushed Object');
  t.regex(text, /"time": 0\.56399999999999995,/);
  t.regex(text, /"blocked": 0\.0,/);
  // Same keys in the same order as the reference's output.
  const sample = fs.readFileSync(path.resolve(repoRoot(), '../shared/reference/samples/nghttp-har-nghttpd.client.txt'), 'utf8');
  const ref = JSON.parse(sample.slice(sample.indexOf('{'), sample.lastIndexOf('}') + 1));
  t.deepEqual(harProblems(ref), []);
  t.deepEqual(keyPaths(har), keyPaths(ref));
});
