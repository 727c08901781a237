/**
 * `npm start`: the main job in one command. Serves the bundled demo site (examples/demo-site: a page,
 * a stylesheet, a script and an image; the stylesheet and script pushed with the page) with our
 * nghttpd over TLS on a free port, using a certificate it makes for itself; fetches the page and its
 * assets with our `nghttp -nvay` (the frame trace as a user sees it); runs a short `h2load` against
 * it; then stops the server. Each step prints its command line first, so it can be rerun by hand.
 * Works offline: nothing is fetched.
 */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import selfsigned from 'selfsigned';

/** The repository root: the nearest folder above this file with a package.json. */
function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + __dirname);
    dir = up;
  }
  return dir;
}

const ROOT = repoRoot();
const rel = (p: string) => (p.startsWith(ROOT + path.sep) ? path.relative(process.cwd(), p) || '.' : p);
const say = (s: string) => process.stdout.write(`\n\x1b[1m# ${s}\x1b[0m\n`);
const children = new Set<ChildProcess>();

/** Starts one of our tools (bin/NAME) after printing the command line a user would type. */
function tool(name: string, args: string[], pipeOut = true): ChildProcess {
  const bin = path.join(ROOT, 'bin', name);
  process.stdout.write(`$ ./${path.relative(process.cwd(), bin)} ${args.map(quote).join(' ')}\n`);
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', pipeOut ? 'inherit' : 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

function exited(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}

/** Resolves with the port from nghttpd's "IPv4: listen 127.0.0.1:PORT" line (10 s at most). */
function listeningPort(server: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('nghttpd did not report its port within 10 s')), 10_000);
    server.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      seen += chunk.toString('latin1');
      const m = /listen \S+:(\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nghttpd exited (${code}) before listening`));
    });
  });
}

async function main(): Promise<number> {
  const site = path.join(ROOT, 'examples', 'demo-site');
  const dir = path.join(os.tmpdir(), 'nghttp2-ts-demo');
  fs.mkdirSync(dir, { recursive: true });
  const key = path.join(dir, 'demo.key');
  const cert = path.join(dir, 'demo.crt');

  say('1. A self-signed certificate for localhost and 127.0.0.1 (the selfsigned package; openssl would do too)');
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    notAfterDate: new Date(Date.now() + 7 * 86400_000),
    keyType: 'ec',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  fs.writeFileSync(key, pems.private, { mode: 0o600 });
  fs.writeFileSync(cert, pems.cert);
  process.stdout.write(`wrote ${cert} and ${key}\n`);

  say('2. nghttpd serves the demo site over TLS on a free loopback port, pushing the stylesheet and script with the page');
  const server = tool('nghttpd', ['-a', '127.0.0.1', '--push=/=/style.css,/app.js', '-d', rel(site), '0', key, cert], false);
  server.stdout!.on('error', () => {});
  const port = await listeningPort(server);
  const url = `https://127.0.0.1:${port}/`;

  say('3. nghttp fetches the page and its assets (-a), printing every frame (-v); -y: the certificate is self-signed');
  const fetched = await exited(tool('nghttp', ['-nvay', url]));

  say('4. h2load: 2,000 requests over 4 connections, 10 streams each');
  const loaded = await exited(tool('h2load', ['-n', '2000', '-c', '4', '-m', '10', url]));

  say('5. Stopping nghttpd');
  server.kill('SIGTERM');
  await exited(server);
  process.stdout.write(`done: nghttp exited ${fetched}, h2load exited ${loaded}\n`);
  return fetched === 0 && loaded === 0 ? 0 : 1;
}

const stopAll = () => {
  for (const c of children) c.kill('SIGTERM');
};
process.on('SIGINT', () => {
  stopAll();
  process.exitCode = 130;
});
process.on('SIGTERM', () => {
  stopAll();
  process.exitCode = 143;
});
main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    stopAll();
    process.stderr.write(`demo: ${err.message}\n`);
    process.exitCode = 1;
  },
);
