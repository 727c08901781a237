/**
 * nghttpx's HTTP/2 knobs, ours beside Debian's nghttpx, seen by Debian's nghttp (frontend) and
 * nghttpd -v (an h2 backend): --frontend-/--backend-http2-decoder-dynamic-table-size (the
 * SETTINGS_HEADER_TABLE_SIZE sent), --frontend-/--backend-http2-encoder-dynamic-table-size (0: no
 * header is indexed, so a repeated header block keeps its length), --padding (padded HEADERS and
 * DATA), --backend-http2-max-concurrent-streams (SETTINGS_MAX_CONCURRENT_STREAMS to the backend).
 */
import test from 'ava';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { until } from '../../helpers/wait';
import { freePort, HAS, runClient, spawnNghttpx, spawnServer, stopProcess } from './helpers';

const HAS_REF = fs.existsSync('/usr/sbin/nghttpx') && HAS.nghttp && HAS.nghttpd;
const t_ = HAS_REF ? test.serial : test.serial.skip;

const KNOBS = ['--frontend-http2-decoder-dynamic-table-size=8192', '--frontend-http2-encoder-dynamic-table-size=0', '--padding=16'];
const BACKEND_KNOBS = [
  '--backend-http2-decoder-dynamic-table-size=8192',
  '--backend-http2-encoder-dynamic-table-size=0',
  '--backend-http2-max-concurrent-streams=7',
  '--padding=16',
];

/** Ours or the reference on a cleartext frontend at `port`, once it accepts there. */
function startProxy(ref: boolean, port: number, args: string[]): Promise<ChildProcess> {
  const all = ['--conf=/dev/null', '--errorlog-file=/dev/null', `-f127.0.0.1,${port};no-tls`, ...args];
  return spawnNghttpx(ref ? 'reference' : 'ours', all, [port]);
}

/** What nghttp -v (or nghttpd -v) shows of the peer: its first SETTINGS (sorted) and its HEADERS frames. */
function view(text: string): { settings: string[]; headers: string[]; paddedFrames: number } {
  const lines = text.split('\n');
  const settings: string[] = [];
  const at = lines.findIndex((l) => /recv SETTINGS frame <length=\d+, flags=0x00/.test(l));
  for (let i = at + 1; at >= 0 && i < lines.length && /^\s+(\[SETTINGS_|\(niv=)/.test(lines[i]); i++)
    if (lines[i].includes('[SETTINGS_')) settings.push(lines[i].trim());
  const headers = lines.filter((l) => /recv HEADERS frame/.test(l)).map((l) => /length=\d+/.exec(l)![0]);
  const paddedFrames = lines.filter((l) => /^\s+\(padlen=16/.test(l)).length;
  return { settings: settings.sort(), headers, paddedFrames };
}

t_('frontend: decoder table size, encoder table size 0 and --padding as the reference (nghttp -v)', async (t) => {
  const be = http.createServer((req, res) => {
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((r) => be.listen(0, '127.0.0.1', r));
  const bePort = (be.address() as net.AddressInfo).port;
  const seen: Record<string, ReturnType<typeof view>> = {};
  try {
    for (const ref of [false, true]) {
      const port = await freePort();
      const px = await startProxy(ref, port, [`-b127.0.0.1,${bePort}`, ...KNOBS]);
      try {
        const r = await runClient('nghttp', ['-nv', `http://127.0.0.1:${port}/a`, `http://127.0.0.1:${port}/b`]);
        seen[ref ? 'reference' : 'ours'] = view(r.stdout.toString());
      } finally {
        await stopProcess(px);
      }
    }
    t.deepEqual(seen.ours, seen.reference);
    t.true(seen.ours.settings.includes('[SETTINGS_HEADER_TABLE_SIZE(0x01):8192]'), seen.ours.settings.join(' '));
    // Nothing indexed: the second response's block is as long as the first, give or take a digit.
    const [a, b] = seen.ours.headers.map((h) => Number(h.slice(7)));
    t.true(Math.abs(a - b) <= 1, `${a} ${b} ${seen.ours.headers}`);
    // Both HEADERS and both DATA frames padded.
    t.true(seen.ours.paddedFrames >= 4, String(seen.ours.paddedFrames));
  } finally {
    be.closeAllConnections();
    await new Promise<void>((r) => be.close(() => r()));
  }
});

t_(
  'backend: decoder/encoder table sizes, max concurrent streams and --padding as the reference (nghttpd -v as the h2 backend)',
  async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-knobs-'));
    fs.writeFileSync(path.join(dir, 'a'), 'A');
    fs.writeFileSync(path.join(dir, 'b'), 'B');
    const seen: Record<string, ReturnType<typeof view>> = {};
    try {
      for (const ref of [false, true]) {
        const bePort = await freePort();
        let out = '';
        const be = await spawnServer('Debian nghttpd', '/usr/sbin/nghttpd', ['-v', '--no-tls', '-d', dir, String(bePort)], [bePort], {
          onStdout: (text) => (out += text),
        });
        const port = await freePort();
        let px: ChildProcess | undefined;
        try {
          px = await startProxy(ref, port, [`-b127.0.0.1,${bePort};;proto=h2`, ...BACKEND_KNOBS]);
          // One after the other, on the proxy's one backend connection.
          for (const p of ['/a', '/b']) await runClient('nghttp', ['-n', `http://127.0.0.1:${port}${p}`]);
          await until(() => (out.match(/recv HEADERS frame/g) ?? []).length >= 2);
          seen[ref ? 'reference' : 'ours'] = view(out);
        } finally {
          if (px) await stopProcess(px);
          await stopProcess(be);
        }
      }
      t.deepEqual(seen.ours.settings, seen.reference.settings);
      t.true(seen.ours.settings.includes('[SETTINGS_HEADER_TABLE_SIZE(0x01):8192]'), seen.ours.settings.join(' '));
      t.true(seen.ours.settings.includes('[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):7]'), seen.ours.settings.join(' '));
      for (const [name, v] of Object.entries(seen)) {
        const [a, b] = v.headers.map((h) => Number(h.slice(7)));
        t.true(Math.abs(a - b) <= 1, `${name}: nothing indexed: ${a} ${b}`);
        t.true(v.paddedFrames >= 2, `${name}: padded request HEADERS: ${v.paddedFrames}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
