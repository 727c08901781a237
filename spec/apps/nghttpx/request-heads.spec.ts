/**
 * The request heads written to an HTTP/1.1 backend (request-heads.ts): built from the last head's
 * pieces, each head is byte for byte the one built from scratch, whatever came before it.
 */
import test from 'ava';
import fc from 'fast-check';
import { http1Name } from '../../../lib/apps/nghttpx/headers';
import { RequestHeads } from '../../../lib/apps/nghttpx/request-heads';
import type { Field } from '../../../lib/apps/nghttpx/request';

/** The head built from scratch: what the backend got before heads were remembered. */
function freshHead(method: string, target: string, host: string, fields: readonly Field[], chunked: boolean): string {
  let h = `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [n, v] of fields) h += `${http1Name(n)}: ${v}\r\n`;
  if (chunked) h += 'Transfer-Encoding: chunked\r\n';
  return `${h}\r\n`;
}

test('a head as the backend reads it: request line, Host, fields in nghttpx spelling, framing', (t) => {
  const heads = new RequestHeads();
  const fields: Field[] = [
    ['user-agent', 'h2load nghttp2/1.52.0'],
    ['x-forwarded-proto', 'http'],
    ['via', '2 nghttpx'],
  ];
  const want =
    'GET /1k HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nUser-Agent: h2load nghttp2/1.52.0\r\nX-Forwarded-Proto: http\r\nVia: 2 nghttpx\r\n\r\n';
  t.is(heads.head('GET', '/1k', '127.0.0.1:3000', fields, false), want);
  // The same again, from equal pairs that are other objects.
  t.is(
    heads.head(
      'GET',
      '/1k',
      '127.0.0.1:3000',
      fields.map((f) => [f[0], f[1]] as Field),
      false,
    ),
    want,
  );
  t.is(
    heads.head('POST', '/up', '127.0.0.1:3000', fields.slice(1), true),
    'POST /up HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nX-Forwarded-Proto: http\r\nVia: 2 nghttpx\r\nTransfer-Encoding: chunked\r\n\r\n',
  );
  t.is(heads.head('GET', '/1k', '127.0.0.1:3000', [], false), 'GET /1k HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n\r\n');
  t.is(heads.builds, 3);
});

test('a head equal to the last one is not built again (after a longer or a shorter one too)', (t) => {
  const heads = new RequestHeads();
  const a: Field[] = [
    ['accept', '*/*'],
    ['via', '2 nghttpx'],
  ];
  const b: Field[] = [...a, ['cookie', 'x=1']];
  const seq: [Field[], number][] = [
    [a, 1],
    [a, 1],
    [b, 2],
    [b, 2],
    [a, 3],
    [a, 3],
    [a.map((f) => [f[0], f[1]] as Field), 3],
  ];
  for (const [fields, builds] of seq) {
    t.is(heads.head('GET', '/', 'h', fields, false), freshHead('GET', '/', 'h', fields, false));
    t.is(heads.builds, builds);
  }
  heads.head('GET', '/x', 'h', a, false);
  heads.head('GET', '/x', 'h2', a, false);
  heads.head('GET', '/x', 'h2', a, true);
  heads.head('PUT', '/x', 'h2', a, true);
  t.is(heads.builds, 7);
});

test('heads in sequence (repeated, lines changed, added, dropped, framing toggled) read as built from scratch (fast-check)', (t) => {
  // Few distinct values, so that sequences repeat heads and lines often.
  const name = fc.constantFrom('user-agent', 'accept', 'x-forwarded-proto', 'via', 'cookie', 'x-custom-name', 'te');
  const value = fc.constantFrom('a', 'b', 'h2load nghttp2/1.52.0', '2 nghttpx', '', 'x=1; y=2');
  const field = fc.tuple(name, value).map(([n, v]) => [n, v] as Field);
  const head = fc.record({
    method: fc.constantFrom('GET', 'POST', 'HEAD'),
    target: fc.constantFrom('/', '/1k', '/a?b=c', '*'),
    host: fc.constantFrom('h', '127.0.0.1:8080'),
    fields: fc.array(field, { maxLength: 6 }),
    chunked: fc.boolean(),
    // Equal pairs as the same objects as the head before (a decoder's shared pairs) or new ones.
    reuse: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(head, { minLength: 1, maxLength: 12 }), (seq) => {
      const heads = new RequestHeads();
      let before: Field[] = [];
      for (const h of seq) {
        const fields = h.reuse
          ? h.fields.map((f, i) => (before[i] && before[i][0] === f[0] && before[i][1] === f[1] ? before[i] : f))
          : h.fields;
        const got = heads.head(h.method, h.target, h.host, fields, h.chunked);
        if (got !== freshHead(h.method, h.target, h.host, fields, h.chunked)) return false;
        before = fields;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
