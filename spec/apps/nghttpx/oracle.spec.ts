/**
 * Side by side with Debian's nghttpx (needs nghttp2-proxy and curl): the same requests through
 * both proxies to the same Node backend; what the backend sees and what the client gets must match.
 */
import test from 'ava';
import { spawn } from 'child_process';
import * as fs from 'fs';
import { startNghttpx, NghttpxProxy } from '../../../lib/apps/nghttpx/proxy';
import { parseArgs } from '../../../lib/apps/nghttpx/options';
import { compare } from './oracle-pair';
import { freePort, own, runClient, startEchoBackend, stopProcess, waitForPort } from './helpers';

const t_ = fs.existsSync('/usr/sbin/nghttpx') && fs.existsSync('/usr/bin/curl') ? test : test.skip;

/** Fields as the backend saw them: lowercase names, the proxy's own port and Node's agent header left out. */
function normalise(raw: string[], port: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i].toLowerCase();
    if (n === 'connection') continue; // Node's agent says keep-alive; nghttpx says nothing
    out.push(`${n}: ${raw[i + 1].replace(`:${port}`, ':PORT')}`);
  }
  return out;
}

/** Response head lines from curl -si, minus Date, Connection and Keep-Alive, names lowercased. */
function head(text: string): string[] {
  const [h] = text.split('\r\n\r\n');
  return h
    .split('\r\n')
    .slice(1)
    .map((l) => l.replace(/^[^:]+/, (n) => n.toLowerCase()))
    .filter((l) => !/^(date|connection|keep-alive):/.test(l));
}

t_('the backend sees the same request fields and the client the same response fields as through Debian nghttpx', async (t) => {
  const echo = await startEchoBackend();
  const refPort = await freePort();
  const ref = own(
    spawn(
      '/usr/sbin/nghttpx',
      [
        '--conf=/dev/null',
        '--single-process',
        `-f127.0.0.1,${refPort};no-tls`,
        `-b127.0.0.1,${echo.port}`,
        '--add-x-forwarded-for',
        '--errorlog-file=/dev/null',
      ],
      { stdio: 'ignore' },
    ),
  );
  let ours: NghttpxProxy | undefined;
  try {
    await waitForPort(refPort, 20000);
    const p = parseArgs(['--conf=/dev/null', '-f127.0.0.1,0;no-tls', `-b127.0.0.1,${echo.port}`, '--add-x-forwarded-for']);
    if (p.kind !== 'run') throw new Error('bad args');
    ours = await startNghttpx(p.options, { errorLog: () => undefined });
    const cases: [string, string[]][] = [
      [
        'h2c',
        [
          '--http2-prior-knowledge',
          '-H',
          'x-forwarded-proto: ftp',
          '-H',
          'x-forwarded-for: 10.1.1.1',
          '-H',
          'te: trailers',
          '-H',
          'via: 1.0 upstream',
        ],
      ],
      ['http/1.1', ['--http1.1', '-H', 'Keep-Alive: 5', '-H', 'x-forwarded-for: 10.1.1.1']],
      ['upgrade', ['--http2']],
      ['http/1.0', ['-0']],
      ['post', ['--http2-prior-knowledge', '--data-binary', 'some body']],
    ];
    for (const [name, args] of cases) {
      const seen: string[][] = [];
      const heads: string[][] = [];
      for (const port of [refPort, ours.ports[0]]) {
        const before = echo.seen.length;
        const r = await runClient('curl', ['-si', ...args, `http://127.0.0.1:${port}/cmp/${name}`]);
        t.is(r.code, 0, `${name} via ${port}`);
        t.is(echo.seen.length, before + 1);
        seen.push(normalise(echo.seen[before].rawHeaders, port));
        heads.push(head(r.stdout.toString('latin1')).filter((l) => !/^(x-sha256|x-body-length|content-length):/.test(l)));
      }
      t.deepEqual(seen[1], seen[0], `${name}: request fields at the backend (ours, reference)`);
      t.deepEqual(heads[1], heads[0], `${name}: response fields at the client (ours, reference)`);
    }
  } finally {
    await ours?.shutdown(1000);
    await stopProcess(ref);
    await echo.stop();
  }
});

t_(
  '--no-via, --server-name, --no-server-rewrite, and absolute-form targets in reverse-proxy mode: the backend and the client see what they see through the reference',
  async (t) => {
    const echo = await startEchoBackend();
    try {
      const requests: [string, string[]][] = [
        ['origin-form', ['--http1.1', 'http://127.0.0.1:PORT/plain?x=1']],
        ['absolute-form', ['--http1.1', '--request-target', 'http://other.example:8080/abs?q=1', 'http://127.0.0.1:PORT/']],
        ['h2c', ['--http2-prior-knowledge', 'http://127.0.0.1:PORT/h2']],
      ];
      for (const extra of [[], ['--no-via', '--server-name=edge/1'], ['--no-server-rewrite']]) {
        const r = await compare([`-b127.0.0.1,${echo.port}`, ...extra], async (port) => {
          const out: Record<string, { method: string; url: string; fields: string[]; head: string[] }> = {};
          for (const [name, args] of requests) {
            const before = echo.seen.length;
            const res = await runClient('curl', ['-si', ...args.map((a) => a.replace('PORT', String(port)))]);
            const s = echo.seen[before];
            out[name] = {
              method: s?.method,
              url: s?.url,
              fields: s ? normalise(s.rawHeaders, port) : [],
              head: head(res.stdout.toString('latin1')).filter((l) => !/^(x-sha256|x-body-length|content-length):/.test(l)),
            };
          }
          return out;
        });
        t.deepEqual(r.ours, r.reference, extra.join(' ') || 'defaults');
        // What the reference does, for the reader (and so that the comparison is not of two empty views).
        const server = extra.includes('--no-server-rewrite') ? 'echo-backend' : extra.length ? 'edge/1' : 'nghttpx';
        for (const name of ['origin-form', 'h2c']) t.true(r.reference[name].head.includes(`server: ${server}`), name);
        t.is(
          r.reference['origin-form'].fields.some((f) => f.startsWith('via:')),
          !extra.includes('--no-via'),
        );
      }
      // The absolute-form target reaches the backend as a path (Host from the target).
      t.is(echo.seen.find((s) => s.url.startsWith('/abs'))?.url, '/abs?q=1');
    } finally {
      await echo.stop();
    }
  },
);
