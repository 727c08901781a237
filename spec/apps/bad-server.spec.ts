/**
 * Our clients against a server that misbehaves (spec/helpers/bad-server.ts): garbage, invalid
 * SETTINGS, an endless CONTINUATION chain, an HPACK bomb, a truncated frame, an overflowing
 * WINDOW_UPDATE, no :status, DATA before HEADERS, an immediate GOAWAY, silence, a body that never
 * ends and one that drips. nghttp and h2load end within their timeouts (-t, -T), exit non-zero
 * and say what went wrong on stderr in a line, never a stack trace; HTTP2Client rejects with a
 * reason, and its memory stays bounded.
 */
import test from 'ava';
import * as path from 'path';
import { spawn } from 'child_process';
import { MISBEHAVIOURS, Misbehaviour, startBadServer } from '../helpers/bad-server';
import { repoRoot } from '../helpers/repo';
import { HTTP2Client } from '../../lib/client';
import { expectQuietFor } from '../helpers/wait';

const BIN = path.join(repoRoot(), 'bin');

/** Run a tool; killed (and reported as such) if it outlives `ms`. */
function run(
  tool: string,
  args: string[],
  ms = 30000,
): Promise<{ code: number | null; stderr: string; stdout: string; ms: number; killed: boolean }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(path.join(BIN, tool), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr, ms: Date.now() - t0, killed });
    });
  });
}

/** What h2load must name, per case. */
const H2LOAD_SAYS: Record<Misbehaviour, RegExp> = {
  garbage: /FRAME_SIZE_ERROR/,
  'invalid-settings': /SETTINGS_ENABLE_PUSH/,
  'endless-continuation': /ENHANCE_YOUR_CALM|exceeds/,
  'hpack-bomb': /header list/,
  'truncated-frame': /middle of a frame/,
  'window-overflow': /FLOW_CONTROL_ERROR/,
  'no-status': /:status/,
  'data-before-headers': /DATA .*before/,
  'immediate-goaway': /GOAWAY/,
  silence: /-T/,
  'endless-body': /-T/,
  drip: /-T/,
};

const noStackTrace = (stderr: string) => !/^\s+at /m.test(stderr) && !/node:internal|Error: .*\n\s+at/.test(stderr);

for (const kind of MISBEHAVIOURS) {
  test.serial(`h2load against a server sending ${kind}: ends, exits 1, says why in one line`, async (t) => {
    const s = await startBadServer(kind);
    try {
      // -m 2: both requests go out at once, and -T counts from the last one sent (as the reference).
      const r = await run('h2load', ['-n', '2', '-c', '1', '-m', '2', '-T', '2', s.url]);
      t.false(r.killed, `h2load still ran after 30 s:\n${r.stdout}${r.stderr}`);
      t.is(r.code, 1, r.stdout + r.stderr);
      const lines = r.stderr.trim().split('\n');
      t.is(lines.length, 1, r.stderr);
      t.regex(lines[0], /^h2load: no request succeeded: /);
      t.regex(lines[0], H2LOAD_SAYS[kind]);
      t.true(noStackTrace(r.stderr));
      t.regex(r.stdout, /requests: 2 total, .* 0 succeeded, 2 failed/);
    } finally {
      await s.close();
    }
  });

  if (kind === 'silence' || kind === 'drip') {
    test.serial(
      `h2load -N against a server sending ${kind}: ${kind === 'silence' ? 'ends after the inactivity timeout' : 'activity keeps it open; -T ends it'}`,
      async (t) => {
        const s = await startBadServer(kind);
        try {
          const r = await run('h2load', ['-n', '2', '-c', '1', '-N', '1', ...(kind === 'drip' ? ['-m', '2', '-T', '3'] : []), s.url]);
          t.false(r.killed);
          t.is(r.code, 1);
          t.regex(
            r.stderr,
            kind === 'silence'
              ? /^h2load: no request succeeded: no activity .* \(-N, --connection-inactivity-timeout\)\n$/
              : /\(-T, --connection-active-timeout\)\n$/,
          );
          t.regex(r.stdout, /requests: 2 total, .* 0 succeeded, 2 failed, 2 errored, [12] timeout/);
        } finally {
          await s.close();
        }
      },
    );
  }

  test.serial(`nghttp against a server sending ${kind}: ends within -t, exits non-zero, an [ERROR] line, no stack trace`, async (t) => {
    const s = await startBadServer(kind);
    try {
      const r = await run('nghttp', ['-t', '2s', s.url]);
      t.false(r.killed, `nghttp still ran after 30 s:\n${r.stdout}${r.stderr}`);
      t.not(r.code, 0, r.stderr);
      if (kind === 'immediate-goaway')
        // Which line depends on whether the request HEADERS left before the GOAWAY (last stream 0)
        // was read: refused after sending, only the summary line; not sendable, the [ERROR] line
        // first. Debian's nghttp against this server printed the summary alone 29 times in 30 and
        // the [ERROR] line with it once; ours mostly the [ERROR] line (it reads what has arrived
        // before its first flight) and the summary alone ~1 in 6 under load.
        t.regex(r.stderr, /^(\[ERROR\] \S.*\n)?Some requests were not processed\. total=1, processed=0\n$/, r.stderr);
      else t.regex(r.stderr, /^\[ERROR\] \S.*\n/, r.stderr);
      t.true(noStackTrace(r.stderr), r.stderr);
      // The reference's summary line may follow the error; nothing more.
      t.true(r.stderr.trim().split('\n').length <= 2, r.stderr);
    } finally {
      await s.close();
    }
  });

  test.serial(`HTTP2Client against a server sending ${kind}: a rejection with a reason, memory bounded`, async (t) => {
    const s = await startBadServer(kind);
    const rss0 = process.memoryUsage().rss;
    let client: HTTP2Client | undefined;
    try {
      const outcome = await (async (): Promise<string> => {
        client = await HTTP2Client.connect(s.url, { connection: { session: { settingsTimeoutMs: 1000 } } });
        const res = await client.request({ path: '/' });
        if (kind === 'endless-body' || kind === 'drip') {
          // A body that never ends: nothing bounds it but the reader. Unread, it costs a window:
          // for 300 ms, what the client holds never passes 1 MiB.
          const over = await expectQuietFor(300, () => {
            const held = res.stream.bufferedBytes + res.body.readableLength;
            return held > 1024 * 1024 ? `${held} bytes held for an unread body` : undefined;
          });
          t.is(over, undefined);
          res.stream.reset();
          await t.throwsAsync(res.text());
          return 'cancelled by the reader';
        }
        await res.text();
        return `status ${res.status}`;
      })().catch((err: Error) => `rejected: ${err.message}`);
      t.log(outcome);
      t.regex(outcome, /^(rejected: \S|cancelled by the reader)/);
      t.true(process.memoryUsage().rss - rss0 < 200 * 1024 * 1024, 'memory stayed bounded');
    } finally {
      client?.connection.destroy();
      await s.close();
    }
  });
}
