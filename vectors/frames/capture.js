#!/usr/bin/env node
/*
 * Record real nghttp <-> nghttpd conversations for the printer specs: both byte streams (base64) as seen
 * on the wire, and nghttp -nv's own trace of them. Needs a build (npm run build), nghttp and
 * nghttpd. Run from the repo root: node vectors/frames/capture.js > vectors/frames/nghttp-captures.json
 */
'use strict';
const net = require('net');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFile } = require('child_process');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capture-'));
fs.writeFileSync(path.join(dir, 'index.html'), '<html><link rel="stylesheet" href="/style.css"></html>\n');
fs.writeFileSync(path.join(dir, 'style.css'), 'body { color: red }\n');
fs.writeFileSync(path.join(dir, 'big'), Buffer.alloc(20000, 0x61));
fs.writeFileSync(path.join(dir, 'upload'), 'fifteen octets\n');

let PORT = 0;
let server;
function start() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      PORT = probe.address().port; // a port nobody holds, so we cannot reach someone else's server
      probe.close(() => {
        server = spawn('/usr/sbin/nghttpd', ['--no-tls', '-a', '127.0.0.1', '-d', dir, '-b', '16', '--trailer=x-srv-trailer:yes', '-p/=/style.css', String(PORT)], { stdio: 'ignore' });
        resolve();
      });
    });
  });
}

const cases = [
  ['GET with push, server padding and trailers', ['-nv']],
  ['POST with client padding and trailer, small windows', ['-nv', '-b', '8', '--trailer=x-cli-trailer:yes', '-d', path.join(dir, 'upload'), '-w', '14', '/big']],
  ['--continuation', ['-nv', '--continuation', '/style.css']],
];

function record(args) {
  return new Promise((resolve) => {
    const client = [];
    const upstream = [];
    const proxy = net.createServer((c) => {
      const u = net.connect(PORT, '127.0.0.1');
      c.on('data', (b) => client.push(Buffer.from(b)));
      u.on('data', (b) => upstream.push(Buffer.from(b)));
      c.pipe(u).pipe(c);
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
    });
    proxy.listen(0, '127.0.0.1', () => {
      const port = proxy.address().port;
      const pathArg = args.length > 1 && args[args.length - 1].startsWith('/') ? args.pop() : '/';
      // async: the proxy lives in this process and must keep forwarding while nghttp runs
      execFile('/usr/bin/nghttp', [...args, `http://127.0.0.1:${port}${pathArg}`], { encoding: 'latin1' }, (err, out) => {
        if (err) throw err;
        setTimeout(() => {
          proxy.close();
          resolve({ args: [...args, pathArg].map((a) => a.split(dir).join('DIR')), client: Buffer.concat(client).toString('base64'), server: Buffer.concat(upstream).toString('base64'), nghttp: out });
        }, 200);
      });
    });
  });
}

function waitForServer(deadline) {
  return new Promise((resolve, reject) => {
    const c = net.connect(PORT, '127.0.0.1', () => { c.destroy(); resolve(); });
    c.on('error', () => (Date.now() > deadline ? reject(new Error('nghttpd did not start')) : setTimeout(() => waitForServer(deadline).then(resolve, reject), 100)));
  });
}

start().then(() => waitForServer(Date.now() + 5000)).then(async () => {
  const out = [];
  for (const [name, args] of cases) out.push({ name, ...(await record([...args])) });
  server.kill();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
});
