/**
 * Response trailers against --response-header-field-buffer / --max-response-header-fields, ours
 * beside Debian's nghttpx 1.52 (seen by Debian's nghttp -nv): an HTTP/2 backend's trailer fields
 * past the head's budget are dropped one by one; an HTTP/1.1 backend's head plus trailers past a
 * limit fail the response (RST_STREAM INTERNAL_ERROR). The budgets were measured on the reference
 * (header-limits.ts says how).
 */
import test from 'ava';
import * as http2 from 'http2';
import * as net from 'net';
import { HAS, runClient } from './helpers';
import { compare, HAS_REF } from './oracle-pair';

const t_ = HAS_REF && HAS.nghttp ? test.serial : test.serial.skip;
const LONG = 'b'.repeat(40);

/** What nghttp -nv shows of the response: its regular fields after the head's, and a reset. */
async function view(port: number): Promise<{ trailers: string[]; reset: boolean }> {
  const r = await runClient('nghttp', ['-nv', `http://127.0.0.1:${port}/t`]);
  const out = r.stdout.toString();
  const trailers = [...out.matchAll(/recv \(stream_id=13\) (x-rt\d):/g)].map((m) => m[1]);
  return { trailers, reset: /recv RST_STREAM frame/.test(out) };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

t_('an HTTP/2 backend: trailer fields that do not fit are dropped, the others go (as the reference)', async (t) => {
  const server = http2.createServer();
  server.on('stream', (st) => {
    st.respond({ ':status': 200 }, { waitForTrailers: true });
    st.on('wantTrailers', () => st.sendTrailers({ 'x-rt1': '1', 'x-rt2': LONG, 'x-rt3': '3' }));
    st.end('ok');
  });
  const port = await listen(server);
  try {
    const cases: [string, string[]][] = [
      ['--response-header-field-buffer=72', []],
      ['--response-header-field-buffer=79', ['x-rt1', 'x-rt3']],
      ['--response-header-field-buffer=118', ['x-rt1', 'x-rt2']],
      ['--response-header-field-buffer=124', ['x-rt1', 'x-rt2', 'x-rt3']],
      ['--max-response-header-fields=3', []],
      ['--max-response-header-fields=5', ['x-rt1', 'x-rt2']],
    ];
    for (const [opt, expected] of cases) {
      const r = await compare([`-b127.0.0.1,${port};;proto=h2`, opt], view);
      t.deepEqual(r.ours, r.reference, opt);
      t.deepEqual(r.ours, { trailers: expected, reset: false }, opt);
    }
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

t_(
  'an HTTP/1.1 backend: head and trailers past a limit fail the response with RST_STREAM, at the limit all goes (as the reference)',
  async (t) => {
    const server = net.createServer((s) => {
      let head = '';
      s.on('data', (d) => {
        head += d.toString();
        if (!head.includes('\r\n\r\n')) return;
        head = '';
        s.write(
          'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-rt1, x-rt2, x-rt3\r\n\r\n2\r\nok\r\n0\r\n' +
            `x-rt1: 1\r\nx-rt2: ${LONG}\r\nx-rt3: 3\r\n\r\n`,
        );
      });
    });
    const port = await listen(server);
    try {
      // Head 50 octets in 2 fields (transfer-encoding, trailer), trailers 57 in 3.
      for (const [opt, passes] of [
        ['--response-header-field-buffer=106', false],
        ['--response-header-field-buffer=107', true],
        ['--max-response-header-fields=4', false],
        ['--max-response-header-fields=5', true],
      ] as const) {
        const r = await compare([`-b127.0.0.1,${port}`, opt], view);
        t.is(r.ours.reset, r.reference.reset, `${opt}: ${JSON.stringify(r)}`);
        t.is(r.ours.reset, !passes, opt);
        if (passes) t.deepEqual(r.ours.trailers, ['x-rt1', 'x-rt2', 'x-rt3'], opt);
      }
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  },
);
