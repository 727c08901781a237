import test from 'ava';
import fc from 'fast-check';
import type { HeaderField } from '../../../lib/protocol/frame/types';
import {
  checkOutgoing,
  newMessageInfo,
  newResponseVerdictCache,
  parsePriorityField,
  validateRequest,
  validateResponse,
  validateResponseCached,
  validateTrailers,
} from '../../../lib/protocol/http/semantics';

const base: HeaderField[] = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'example.org'],
  [':path', '/'],
];
const reqErr = (h: HeaderField[], connect = false) => validateRequest(h, connect, false, newMessageInfo());

test('a plain request is valid and reports method, content-length and priority', (t) => {
  const info = newMessageInfo();
  t.is(validateRequest([...base, ['content-length', '12'], ['priority', 'u=1']], false, false, info), null);
  t.is(info.method, 'GET');
  t.is(info.contentLength, 12);
  t.is(info.priority, 'u=1');
});

const malformedRequests: [string, HeaderField[]][] = [
  ['missing :method', base.filter((h) => h[0] !== ':method')],
  ['missing :scheme', base.filter((h) => h[0] !== ':scheme')],
  ['missing :path', base.filter((h) => h[0] !== ':path')],
  ['empty :path', [...base.slice(0, 3), [':path', '']]],
  ['* path on GET', [...base.slice(0, 3), [':path', '*']]],
  ['duplicate :path', [...base, [':path', '/x']]],
  ['pseudo after regular', [base[0], base[1], ['accept', '*/*'], base[2], base[3]]],
  ['undefined pseudo', [...base, [':status', '200']]],
  ['response pseudo in request', [[':status', '200'], ...base]],
  ['uppercase name', [...base, ['Accept', '*/*']]],
  ['space in name', [...base, ['x y', '1']]],
  ['colon in regular name', [...base, ['x:y', '1']]],
  ['NUL in value', [...base, ['x', 'a\0b']]],
  ['CR in value', [...base, ['x', 'a\rb']]],
  ['LF in value', [...base, ['x', 'a\nb']]],
  ['leading space in value', [...base, ['x', ' a']]],
  ['trailing tab in value', [...base, ['x', 'a\t']]],
  ['connection', [...base, ['connection', 'keep-alive']]],
  ['keep-alive', [...base, ['keep-alive', '5']]],
  ['proxy-connection', [...base, ['proxy-connection', 'close']]],
  ['transfer-encoding', [...base, ['transfer-encoding', 'chunked']]],
  ['upgrade', [...base, ['upgrade', 'h2c']]],
  ['te other than trailers', [...base, ['te', 'gzip']]],
  ['bad content-length', [...base, ['content-length', '1x']]],
  ['conflicting content-length', [...base, ['content-length', '1'], ['content-length', '2']]],
  [
    'CONNECT with :path',
    [
      [':method', 'CONNECT'],
      [':authority', 'h:443'],
      [':path', '/'],
    ],
  ],
  ['CONNECT without :authority', [[':method', 'CONNECT']]],
  [
    ':protocol without the setting',
    [
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':authority', 'h'],
      [':path', '/'],
    ],
  ],
];
test('one MessageInfo across requests (as a session uses it): fields seen before skip the octet scans, and every verdict stays the same', (t) => {
  const info = newMessageInfo();
  const usual: HeaderField[] = [...base, ['accept', '*/*'], ['content-length', '12'], ['priority', 'u=1']];
  for (let i = 0; i < 3; i++) {
    t.is(validateRequest(usual, false, false, info), null);
    t.is(info.contentLength, 12);
    t.is(info.priority, 'u=1');
  }
  // Every malformed list, each right after a valid request that shares its good fields, is still refused.
  for (const [name, h] of malformedRequests) {
    t.is(validateRequest(usual, false, false, info), null);
    t.not(validateRequest(h, false, false, info), null, name);
    t.is(validateRequest(h, false, false, info), validateRequest(h, false, false, newMessageInfo()), name);
  }
  // A remembered content-length still counts (and still conflicts) when it comes again.
  t.is(validateRequest(usual, false, false, info), null);
  t.is(validateRequest([...usual, ['content-length', '13']], false, false, info), 'conflicting content-length values');
  t.is(validateRequest(base, false, false, info), null);
  t.is(info.contentLength, -1);
  t.is(info.priority, null);
});

test('a repeated request list reuses its verdict (method, content-length, priority); a changed value or SETTINGS_ENABLE_CONNECT_PROTOCOL is checked again', (t) => {
  const info = newMessageInfo();
  const usual: HeaderField[] = [[':method', 'POST'], ...base.slice(1), ['content-length', '12'], ['priority', 'u=1']];
  t.is(validateRequest(usual, false, false, info), null);
  // A list built anew with equal strings (a fresh decode) gets the remembered verdict.
  const again = usual.map(([n, v]) => [n, v] as HeaderField);
  t.is(validateRequest(again, false, false, info), null);
  t.deepEqual([info.method, info.contentLength, info.priority, info.status], ['POST', 12, 'u=1', 0]);
  // Between two repeats, another list's verdict must not leak into the remembered one's.
  t.is(validateRequest(base, false, false, info), null);
  t.deepEqual([info.method, info.contentLength, info.priority], ['GET', -1, null]);
  t.is(validateRequest(usual, false, false, info), null);
  t.deepEqual([info.method, info.contentLength, info.priority], ['POST', 12, 'u=1']);
  // One value changed: checked again (and refused).
  t.is(validateRequest([...usual.slice(0, -1), ['priority', 'u=1\r']], false, false, info), 'invalid value for "priority"');
  t.is(validateRequest(usual, false, false, info), null);
  t.is(validateRequest([...usual, ['connection', 'close']], false, false, info), reqErr([...usual, ['connection', 'close']]));
  // An extended CONNECT valid while enabled is refused once SETTINGS_ENABLE_CONNECT_PROTOCOL is off.
  const ws: HeaderField[] = [[':method', 'CONNECT'], [':protocol', 'websocket'], ...base.slice(1)];
  t.is(validateRequest(ws, true, false, info), null);
  t.is(validateRequest(ws, true, false, info), null);
  t.is(validateRequest(ws, false, false, info), ':protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL');
  // An invalid list is never remembered as valid.
  t.not(validateRequest(malformedRequests[0][1], false, false, info), null);
  t.not(validateRequest(malformedRequests[0][1], false, false, info), null);
});

test('checkOutgoing with a names memo gives the same verdict as without, list after list (fast-check)', (t) => {
  const names = [
    'content-type',
    'content-length',
    'date',
    'x-count',
    'Content-Type',
    'connection',
    'te',
    'bad name',
    ':status',
    ':path',
    '',
  ];
  const values = [
    '200',
    'text/plain',
    'application/octet-stream',
    'trailers',
    'a\rb',
    'x\n',
    '\0',
    'a long value that is longer than sixteen\r',
    'a long value without any bad octet',
    '',
  ];
  const field = fc.tuple(fc.constantFrom(...names), fc.constantFrom(...values)) as fc.Arbitrary<HeaderField>;
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.array(field, { maxLength: 6 }), fc.boolean()), { maxLength: 12 }), (lists) => {
      const memo: string[] = [];
      const valueMemo: string[] = [];
      for (const [list, isRequest] of lists) t.is(checkOutgoing(list, isRequest, memo, valueMemo), checkOutgoing(list, isRequest));
    }),
  );
  // A name that passed at a position still gets its value checked there, and another name is checked again.
  const memo: string[] = [];
  // A value that passed at a position is not read again there; another value is.
  const valueMemo: string[] = [];
  t.is(checkOutgoing([['date', 'a long value without any bad octet']], false, undefined, valueMemo), null);
  t.is(checkOutgoing([['date', 'a long value without any bad octet']], false, undefined, valueMemo), null);
  t.regex(checkOutgoing([['date', 'a long value that is longer than sixteen\r']], false, undefined, valueMemo)!, /NUL, CR or LF/);
  // te's rule (a request's "trailers" only) holds for a value the memo knows.
  t.regex(checkOutgoing([['te', 'gzip']], false, undefined, ['gzip']) ?? '', /te: "gzip"/);
  t.is(
    checkOutgoing(
      [
        [':status', '200'],
        ['content-type', 'text/plain'],
      ],
      false,
      memo,
    ),
    null,
  );
  t.regex(
    checkOutgoing(
      [
        [':status', '200'],
        ['content-type', 'a long value with a CR\r at the end'],
      ],
      false,
      memo,
    )!,
    /NUL, CR or LF/,
  );
  t.regex(
    checkOutgoing(
      [
        [':status', '200'],
        ['connection', 'close'],
      ],
      false,
      memo,
    )!,
    /connection-specific/,
  );
  t.regex(
    checkOutgoing(
      [
        [':status', '200'],
        ['Content-Type', 'x'],
      ],
      false,
      memo,
    )!,
    /lowercase/,
  );
});

for (const [name, h] of malformedRequests) {
  test(`malformed request (RFC 9113 section 8): ${name}`, (t) => {
    t.not(reqErr(h), null);
  });
}

test('valid special requests: te: trailers, OPTIONS *, CONNECT, extended CONNECT when enabled', (t) => {
  t.is(reqErr([...base, ['te', 'trailers']]), null);
  t.is(
    reqErr([
      [':method', 'OPTIONS'],
      [':scheme', 'https'],
      [':authority', 'h'],
      [':path', '*'],
    ]),
    null,
  );
  t.is(
    reqErr([
      [':method', 'CONNECT'],
      [':authority', 'h:443'],
    ]),
    null,
  );
  t.is(
    reqErr(
      [
        [':method', 'CONNECT'],
        [':protocol', 'websocket'],
        [':scheme', 'https'],
        [':authority', 'h'],
        [':path', '/chat'],
      ],
      true,
    ),
    null,
  );
  t.not(
    reqErr(
      [
        [':method', 'GET'],
        [':protocol', 'websocket'],
        [':scheme', 'https'],
        [':authority', 'h'],
        [':path', '/chat'],
      ],
      true,
    ),
    null,
  );
  t.not(
    reqErr(
      [
        [':method', 'CONNECT'],
        [':protocol', 'websocket'],
        [':authority', 'h'],
      ],
      true,
    ),
    null,
  );
});

test('responses: exactly one 3-digit :status, no 101, interim ones cannot end the stream', (t) => {
  const info = newMessageInfo();
  t.is(
    validateResponse(
      [
        [':status', '200'],
        ['content-length', '3'],
      ],
      false,
      info,
    ),
    null,
  );
  t.is(info.status, 200);
  t.is(info.contentLength, 3);
  t.is(validateResponse([[':status', '103']], false, info), null);
  t.not(validateResponse([[':status', '103']], true, info), null);
  t.not(validateResponse([[':status', '101']], false, info), null);
  t.not(validateResponse([['server', 'x']], false, info), null);
  t.not(validateResponse([[':status', '20']], false, info), null);
  t.not(
    validateResponse(
      [
        [':status', '200'],
        [':status', '200'],
      ],
      false,
      info,
    ),
    null,
  );
  t.not(
    validateResponse(
      [
        [':status', '200'],
        [':path', '/'],
      ],
      false,
      info,
    ),
    null,
  );
  t.not(
    validateResponse(
      [
        [':status', '200'],
        ['te', 'trailers'],
      ],
      false,
      info,
    ),
    null,
  );
  t.not(
    validateResponse(
      [
        [':status', '200'],
        ['transfer-encoding', 'chunked'],
      ],
      false,
      info,
    ),
    null,
  );
});

test('a repeated response list reuses its verdict; any change, END_STREAM included, is checked again', (t) => {
  const cache = newResponseVerdictCache();
  const info = newMessageInfo();
  const ok: HeaderField[] = [
    [':status', '200'],
    ['content-length', '3'],
  ];
  t.is(validateResponseCached(ok, false, info, cache), null);
  info.status = 0;
  info.contentLength = -1;
  // Equal strings, a new list: the cached verdict, with what it yielded.
  t.is(
    validateResponseCached(
      [
        [':status', '200'],
        ['content-length', '3'],
      ],
      false,
      info,
      cache,
    ),
    null,
  );
  t.deepEqual([info.status, info.contentLength], [200, 3]);
  // A changed value or a changed END_STREAM is validated anew.
  t.not(
    validateResponseCached(
      [
        [':status', '200'],
        ['content-length', 'x'],
      ],
      false,
      info,
      cache,
    ),
    null,
  );
  t.is(
    validateResponseCached(
      [
        [':status', '204'],
        ['content-length', '3'],
      ],
      false,
      info,
      cache,
    ),
    null,
  );
  t.is(info.status, 204);
  t.not(validateResponseCached([[':status', '103']], true, info, cache), null);
  t.is(validateResponseCached([[':status', '103']], false, info, cache), null);
  t.not(validateResponseCached([[':status', '103']], true, info, cache), null);
  // An invalid list is never cached: the same invalid list fails again.
  const bad: HeaderField[] = [['Server', 'x']];
  t.not(validateResponseCached(bad, false, info, cache), null);
  t.not(validateResponseCached(bad, false, info, cache), null);
});

test('trailers: no pseudo-headers, regular field rules apply', (t) => {
  t.is(
    validateTrailers([
      ['grpc-status', '0'],
      ['x-sum', 'abc'],
    ]),
    null,
  );
  t.not(validateTrailers([[':status', '200']]), null);
  t.not(validateTrailers([['Bad', '1']]), null);
  t.not(validateTrailers([['connection', 'close']]), null);
});

test('RFC 9218 priority field: urgency and incremental, unknown parts ignored', (t) => {
  t.deepEqual(parsePriorityField('u=1'), { urgency: 1, incremental: false });
  t.deepEqual(parsePriorityField('u=5, i'), { urgency: 5, incremental: true });
  t.deepEqual(parsePriorityField('i=?0, u=0'), { urgency: 0, incremental: false });
  t.deepEqual(parsePriorityField('u=9, foo=bar'), { urgency: 3, incremental: false });
  t.is(parsePriorityField(''), null);
});

test('fast-check: any valid lowercase token name with a clean value passes; adding one uppercase letter fails', (t) => {
  const nameArb = fc
    .stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/)
    .filter((n) => !['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'content-length'].includes(n));
  const valueArb = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);
  fc.assert(fc.property(nameArb, valueArb, (n, v) => reqErr([...base, [n, v]]) === null && reqErr([...base, [n + 'X', v]]) !== null));
  t.pass();
});
