/**
 * Interop: our client's HTTP/1.1 Upgrade to h2c against a real server that accepts it —
 * Debian's nghttpx (package nghttp2-proxy) as the cleartext frontend, nghttpd (nghttp2-server)
 * behind it over h2. (nghttpd and node:http2 do not implement the upgrade themselves.)
 */
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HTTP2Client } from '../../lib/client';
import { NGHTTPD, freePort, has, startPeer } from './harness';

const NGHTTPX = '/usr/sbin/nghttpx';
const ok = has(NGHTTPX) && has(NGHTTPD);
const t_ = ok ? test : test.skip;

t_(
  `our client -u -> nghttpx -> nghttpd: upgrade answered 101, response on stream 1, then more streams${ok ? '' : ' (skipped: needs nghttp2-proxy and nghttp2-server)'}`,
  async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttp2-ts-nghttpx-'));
    fs.writeFileSync(path.join(dir, 'index.html'), 'upgraded\n');
    const backendPort = await freePort();
    const frontPort = await freePort();
    const backend = await startPeer(NGHTTPD, ['--no-tls', '-d', dir, String(backendPort)], backendPort);
    try {
      const proxy = await startPeer(
        NGHTTPX,
        ['--conf=/dev/null', `-f127.0.0.1,${frontPort};no-tls`, `-b127.0.0.1,${backendPort};;proto=h2`, '--workers=1', '--log-level=ERROR'],
        frontPort,
      );
      try {
        const c = await HTTP2Client.connect(`http://127.0.0.1:${frontPort}/index.html`, { upgrade: true });
        t.is(c.info.upgradeResponse?.status, 101);
        t.is(c.info.upgradeStream?.id, 1);
        const r1 = await c.upgradeResponse()!;
        t.is(r1.status, 200);
        t.is(await r1.text(), 'upgraded\n');
        const r3 = await c.request({ path: '/index.html' });
        t.is(r3.stream.id, 3);
        t.is(await r3.text(), 'upgraded\n');
        await c.close();
      } finally {
        await proxy.stop();
      }
    } finally {
      await backend.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
