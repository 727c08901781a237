/**
 * `npm start` (examples/demo.ts): serves the demo site over TLS, fetches it with nghttp -nvay (push
 * included), runs a short h2load, prints each command line, and leaves no server behind.
 */
import test from 'ava';
import { spawn } from 'child_process';
import net from 'net';
import path from 'path';
import { repoRoot } from '../helpers/repo';

test('npm start: the demo serves, fetches with push, loads, and stops its server', async (t) => {
  const child = spawn(process.execPath, [path.join(repoRoot(), 'dist/examples/demo.js')], {
    cwd: repoRoot(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  t.is(code, 0, out + err);
  // Each step shows the command that reproduces it.
  t.regex(out, /\$ \.\/bin\/nghttpd -a 127\.0\.0\.1 --push=\/=\/style\.css,\/app\.js -d examples\/demo-site 0 \S+demo\.key \S+demo\.crt/);
  const port = Number(/listen \S+:(\d+)/.exec(out)![1]);
  t.regex(out, new RegExp(`\\$ \\./bin/nghttp -nvay https://127\\.0\\.0\\.1:${port}/`));
  t.regex(out, /send PUSH_PROMISE|recv PUSH_PROMISE/);
  for (const p of ['/style.css', '/app.js', '/logo.png']) t.true(out.includes(`:path: ${p}`), p);
  t.regex(out, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed/);
  // The server it started is gone: its port refuses connections.
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
  t.true(refused, `port ${port} still accepts connections`);
});
