/**
 * examples/byte-counter.ts (RxJS operators) between Debian's nghttp and nghttpd: the per-stream
 * running totals it prints end at the exact body sizes, both ways. Needs nghttp2-client and -server.
 */
import test from 'ava';
import fs from 'fs';
import path from 'path';
import { docroot, haveNghttp2, nghttp, startExample, startNghttpd } from './helpers';

(haveNghttp2 ? test : test.skip)("the byte counter prints each stream's running total, ending at the body size", async (t) => {
  const body = Buffer.alloc(300_000, 'z');
  const root = docroot({ 'big.bin': body, 'up.bin': Buffer.alloc(100_000, 'u') });
  const server = await startNghttpd(root.dir);
  let counter: Awaited<ReturnType<typeof startExample>> | undefined;
  try {
    // Inside the try: when the example fails to start, the nghttpd above is still stopped (it kept
    // the worker alive past ava's timeout once).
    counter = await startExample('byte-counter', server.port);
    const run = await nghttp(['-n', '-d', path.join(root.dir, 'up.bin'), `http://127.0.0.1:${counter.port}/big.bin`]);
    t.is(run.code, 0, run.stderr);
    const deadline = Date.now() + 20000;
    while (!counter.stdout().includes('< stream 13: 300000 bytes (END_STREAM)') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const lines = counter.stdout().trim().split('\n');
    t.true(lines.includes('< stream 13: 300000 bytes (END_STREAM)'), counter.stdout().slice(-500));
    t.true(lines.includes('> stream 13: 100000 bytes (END_STREAM)'));
    // running totals: each line for a stream is larger than the one before
    const down = lines.filter((l) => l.startsWith('< stream 13:')).map((l) => Number(/: (\d+) bytes/.exec(l)![1]));
    t.true(down.length > 1 && down.every((n, i) => i === 0 || n > down[i - 1]));
  } finally {
    await counter?.stop();
    await server.stop();
    root.remove();
  }
  t.false(fs.existsSync(root.dir));
});
