import test from 'ava';
import * as fs from 'fs';
import { formatHar, formatReal } from '../../../lib/apps/nghttp/har';
import type { RequestRecord } from '../../../lib/apps/nghttp/records';
import { harProblems, keyPaths } from './har-validate';
import { execFile } from 'child_process';
import http2 from 'http2';
import type { AddressInfo } from 'net';
import { referenceFile } from '../../helpers/repo';

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

const reqHeaders: [string, string][] = [
  [':method', 'GET'],
  [':path', '/1k'],
  [':scheme', 'http'],
  [':authority', '127.0.0.1:47180'],
];
function rec(p: Partial<RequestRecord>): RequestRecord {
  return {
    streamId: 13,
    uri: 'http://127.0.0.1:47180/1k',
    path: '/1k',
    method: 'GET',
    pushed: false,
    requestHeaders: reqHeaders,
    responseHeaders: [
      [':status', '200'],
      ['content-type', 'text/plain'],
      ['x-utf8', '\xc3\xa9'],
    ],
    status: 200,
    responseLength: 1024,
    completed: true,
    ...p,
  };
}

test('HAR 1.2: required fields present, timings as the reference computes them, layout as the sample', async (t) => {
  const timing = { startWallMs: Date.UTC(2026, 10, 24, 21, 52, 17, 567), start: 1_000_000, dnsEnd: 1_000_084, connectEnd: 1_000_303 };
  const text = formatHar(
    timing,
    [
      rec({ streamId: 13, requestStart: 1_000_397, responseStart: 1_000_548, responseEnd: 1_000_564 }),
      rec({ streamId: 15, requestStart: 1_001_000, responseStart: 1_001_165, responseEnd: 1_001_167 }),
      rec({ streamId: 2, pushed: true, requestStart: 1_001_000, responseStart: 1_001_100, responseEnd: 1_001_200 }),
      rec({ streamId: 17, completed: false, requestStart: 1_001_000 }),
    ],
    '9.9.9',
  );
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
  // Same keys in the same order as the reference's output (the recorded sample, else a live run).
  const sample = await referenceHar();
  if (!sample) {
    t.log('layout not compared: neither the recorded sample nor /usr/bin/nghttp (apt-get install nghttp2-client)');
    return;
  }
  const ref = JSON.parse(sample.slice(sample.indexOf('{'), sample.lastIndexOf('}') + 1));
  t.deepEqual(harProblems(ref), []);
  t.deepEqual(keyPaths(har), keyPaths(ref));
});

/** The C nghttp's HAR: the recorded sample where ../shared is present, else Debian's nghttp run live against node:http2. */
async function referenceHar(): Promise<string | undefined> {
  const file = referenceFile('samples/nghttp-har-nghttpd.client.txt');
  if (file) return fs.readFileSync(file, 'utf8');
  if (!fs.existsSync('/usr/bin/nghttp')) return undefined;
  const server = http2.createServer((_req, res) => res.end('x'.repeat(1024)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    return await new Promise<string>((resolve, reject) =>
      execFile('/usr/bin/nghttp', ['-n', '-r', '-', '-m', '2', `http://127.0.0.1:${port}/1k`], { timeout: 20_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
  } finally {
    server.close();
  }
}
