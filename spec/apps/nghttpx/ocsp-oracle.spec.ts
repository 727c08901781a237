/**
 * OCSP stapling in nghttpx, side by side with Debian's /usr/sbin/nghttpx: both run the same
 * `--fetch-ocsp-response-file` script (it prints a response `openssl ocsp` made for the test
 * CA), and `openssl s_client -status` must see the same stapled answer, or the same absence of
 * one, for each setting: --cacert (the responder is trusted), none (it is not), --no-verify-ocsp,
 * --no-ocsp, a response for another certificate, a failing script.
 */
import test from 'ava';
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from '../../../lib/apps/nghttpx/options';
import { type NghttpxProxy, startNghttpx } from '../../../lib/apps/nghttpx/proxy';
import { ocspProblem, pemCertificates } from '../../../lib/apps/nghttpx/ocsp';
import { hasOpenssl, OPENSSL, Pki, scratchPki } from '../../helpers/pki';
import * as tls from 'tls';
import { nextEvent, until } from '../../helpers/wait';
import { freePort, OUR_NGHTTPX, spawnServer, startEchoBackend, stopProcess } from './helpers';

const HAVE = hasOpenssl() && fs.existsSync('/usr/sbin/nghttpx');
const t_ = HAVE ? test.serial : test.serial.skip;

const scratch = scratchPki('ocsp-', ['localhost', 'other']);

/** An OCSP response for `certFile` signed by the test CA (`good`), written to `out`. */
function makeResponse(p: Pki, certFile: string, out: string): void {
  const serial = execFileSync(OPENSSL, ['x509', '-in', certFile, '-noout', '-serial']).toString().trim().split('=')[1];
  const index = path.join(p.dir, `ocsp-index-${serial}.txt`);
  fs.writeFileSync(index, `V\t301231000000Z\t\t${serial}\tunknown\t/CN=x\n`);
  const req = path.join(p.dir, `ocsp-req-${serial}.der`);
  execFileSync(OPENSSL, ['ocsp', '-issuer', p.ca.cert, '-cert', certFile, '-reqout', req], { stdio: 'ignore' });
  execFileSync(
    OPENSSL,
    ['ocsp', '-index', index, '-rsigner', p.ca.cert, '-rkey', p.ca.key, '-CA', p.ca.cert, '-reqin', req, '-respout', out, '-ndays', '1'],
    { stdio: 'ignore' },
  );
}

/**
 * A fetch script that prints `file` (or fails when `file` is undefined). It exits only once its
 * output pipe is empty (FIONREAD, bounded to 10 s): Debian's nghttpx takes what it has read when
 * the child exits, and under load it had sometimes not read it all yet (a truncated response,
 * "d2i_OCSP_RESPONSE failed", or with --no-verify-ocsp nothing stapled and nothing logged).
 */
function script(p: Pki, name: string, file: string | undefined): string {
  const s = path.join(p.dir, name);
  const drained = [
    '#!/usr/bin/python3',
    'import fcntl, os, struct, termios, time',
    `data = open(${JSON.stringify(file)}, 'rb').read()`,
    'while data: data = data[os.write(1, data):]',
    'end = time.monotonic() + 10',
    'try:',
    "    while struct.unpack('i', fcntl.ioctl(1, termios.FIONREAD, b'0000'))[0] and time.monotonic() < end: time.sleep(0.005)",
    'except OSError: pass',
    '',
  ].join('\n');
  fs.writeFileSync(s, file ? drained : '#!/bin/sh\necho "no responder" >&2\nexit 1\n');
  fs.chmodSync(s, 0o755);
  return s;
}

/** What `openssl s_client -status` shows of the stapled response. */
function stapled(port: number): Promise<string> {
  return new Promise((resolve) => {
    const c = execFile(
      OPENSSL,
      ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-status'],
      { timeout: 15000 },
      (_e, out) =>
        resolve(
          String(out)
            .split('\n')
            .filter((l) => /OCSP response: no response sent|OCSP Response Status|Cert Status/.test(l))
            .map((l) => l.trim())
            .join('; '),
        ),
    );
    c.stdin?.end();
  });
}

t_('OCSP stapling: the same answers as Debian nghttpx for each setting', async (t) => {
  const p = scratch.pki();
  const { key, cert } = p.servers.localhost;
  const good = path.join(p.dir, 'good.der');
  makeResponse(p, cert, good);
  const otherResp = path.join(p.dir, 'other.der');
  makeResponse(p, p.servers.other.cert, otherResp);
  const echo = await startEchoBackend();
  const cases: [string, string[], string][] = [
    ['trusted responder (--cacert)', [`--fetch-ocsp-response-file=${script(p, 'good.sh', good)}`, `--cacert=${p.ca.cert}`], 'good'],
    ['untrusted responder', [`--fetch-ocsp-response-file=${script(p, 'good2.sh', good)}`], 'none'],
    ['--no-verify-ocsp', [`--fetch-ocsp-response-file=${script(p, 'good3.sh', good)}`, '--no-verify-ocsp'], 'good'],
    ['--no-ocsp', [`--fetch-ocsp-response-file=${script(p, 'good4.sh', good)}`, `--cacert=${p.ca.cert}`, '--no-ocsp'], 'none'],
    [
      'a response for another certificate',
      [`--fetch-ocsp-response-file=${script(p, 'other.sh', otherResp)}`, `--cacert=${p.ca.cert}`],
      'none',
    ],
    ['a failing script', [`--fetch-ocsp-response-file=${script(p, 'fail.sh', undefined)}`, `--cacert=${p.ca.cert}`], 'none'],
  ];
  try {
    for (const [name, extra, want] of cases) {
      const refPort = await freePort();
      const refLog = path.join(p.dir, `ref-${refPort}.log`);
      const ref = await spawnServer(
        'Debian nghttpx',
        '/usr/sbin/nghttpx',
        [
          '--conf=/dev/null',
          '--single-process',
          `--errorlog-file=${refLog}`,
          '-LINFO',
          `-f127.0.0.1,${refPort}`,
          `-b127.0.0.1,${echo.port}`,
          ...extra,
          key,
          cert,
        ],
        [refPort],
      );
      let ours: NghttpxProxy | undefined;
      try {
        const a = parseArgs(['--conf=/dev/null', '--ocsp-startup', '-f127.0.0.1,0', `-b127.0.0.1,${echo.port}`, ...extra, key, cert]);
        if (a.kind !== 'run') throw new Error('bad args');
        ours = await startNghttpx(a.options, { errorLog: () => undefined });
        // The reference's first OCSP round is over once its log says how it went (--ocsp-startup
        // does not hold connections back in --single-process); --no-ocsp never starts one.
        if (!extra.includes('--no-ocsp')) {
          const said = await until(
            () =>
              fs.existsSync(refLog) &&
              /ocsp update for .* finished|ocsp query command for .* failed|OCSP/.test(fs.readFileSync(refLog, 'utf8')),
          );
          t.truthy(said, `${name}: the reference never tried`);
        }
        const o = await stapled(ours.ports[0]);
        // The reference logs that its update finished before the response is in place for new
        // handshakes; at load 6-8 one handshake fell between the two and got nothing stapled.
        // Where its log says the update finished, ask it again until it staples (bounded).
        const refDone = /ocsp update for .* finished successfully/.test(fs.readFileSync(refLog, 'utf8'));
        const r =
          (refDone &&
            (await until(
              async () => {
                const s = await stapled(refPort);
                return /no response sent/.test(s) ? '' : s;
              },
              { timeoutMs: 5000, intervalMs: 100 },
            ))) ||
          (await stapled(refPort));
        const wanted =
          want === 'good' ? /^OCSP Response Status: successful \(0x0\); Cert Status: good$/ : /^OCSP response: no response sent$/;
        t.regex(o, wanted, name);
        if (fs.readFileSync(refLog, 'utf8').includes('d2i_OCSP_RESPONSE failed')) {
          // Seen under load: the reference took the script's output before it was all read (its
          // log says "finished successfully" and then d2i_OCSP_RESPONSE failed). Nothing to compare.
          t.log(`${name}: the reference misread the script's output this time`);
        } else t.is(o, r, name);
      } finally {
        await ours?.shutdown(500);
        await stopProcess(ref);
      }
    }
  } finally {
    await echo.stop();
  }
});

t_('ocspProblem: what makes a response unfit to staple', (t) => {
  const p = scratch.pki();
  const cert = pemCertificates(fs.readFileSync(p.servers.localhost.cert, 'latin1'))[0];
  const ca = pemCertificates(fs.readFileSync(p.ca.cert, 'latin1'));
  const good = path.join(p.dir, 'unit-good.der');
  makeResponse(p, p.servers.localhost.cert, good);
  const der = fs.readFileSync(good);
  t.is(ocspProblem(der, cert, [], ca), undefined);
  t.regex(ocspProblem(der, cert, [], []) ?? '', /certificate verify error/);
  const other = pemCertificates(fs.readFileSync(p.servers.other.cert, 'latin1'))[0];
  t.regex(ocspProblem(der, other, [], ca) ?? '', /serial numbers do not match/);
  // A flipped bit in the signed part: the signature no longer verifies.
  const bad = Buffer.from(der);
  bad[bad.length - 120] ^= 1;
  t.truthy(ocspProblem(bad, cert, [], ca));
  t.regex(ocspProblem(Buffer.from('3003 0a01 01'.replace(/ /g, ''), 'hex'), cert, [], ca) ?? '', /not successful/);
  t.regex(ocspProblem(Buffer.from('garbage'), cert, [], ca) ?? '', /d2i_OCSP_RESPONSE failed/);
});

/** A fetch script that waits for `gate` to exist, then prints `file`. */
function gatedScript(p: Pki, name: string, gate: string, file: string): string {
  const s = path.join(p.dir, name);
  fs.writeFileSync(s, `#!/bin/sh\nwhile [ ! -e '${gate}' ]; do sleep 0.05; done\nexec cat '${file}'\n`);
  fs.chmodSync(s, 0o755);
  return s;
}

t_(
  '--ocsp-startup through the process supervisor (-n 1 and -n 2): a client that came before the first OCSP answer gets it stapled, as with the reference',
  async (t) => {
    const p = scratch.pki();
    const { key, cert } = p.servers.localhost;
    const good = path.join(p.dir, 'startup-good.der');
    makeResponse(p, cert, good);
    const echo = await startEchoBackend();
    try {
      const cases: [string, string, string[]][] = [
        ['reference', '/usr/sbin/nghttpx', []],
        ['ours -n 1', process.execPath, [OUR_NGHTTPX]],
        ['ours -n 2', process.execPath, [OUR_NGHTTPX, '-n', '2']],
      ];
      for (const [name, file, pre] of cases) {
        const gate = path.join(p.dir, `gate-${name.replace(/\W/g, '')}`);
        const port = await freePort();
        const proc = await spawnServer(
          name,
          file,
          [
            ...pre,
            '--conf=/dev/null',
            `--errorlog-file=${path.join(p.dir, `startup-${name.replace(/\W/g, '')}.log`)}`,
            '--ocsp-startup',
            `--fetch-ocsp-response-file=${gatedScript(p, `gated-${name.replace(/\W/g, '')}.sh`, gate, good)}`,
            `--cacert=${p.ca.cert}`,
            `-f127.0.0.1,${port}`,
            `-b127.0.0.1,${echo.port}`,
            key,
            cert,
          ],
          [port],
        );
        try {
          // The client is connected (TCP) while the fetch script still waits; the gate opens after.
          const socket = tls.connect({
            host: '127.0.0.1',
            port,
            servername: 'localhost',
            requestOCSP: true,
            rejectUnauthorized: false,
          } as tls.ConnectionOptions);
          let how = 'no answer';
          const response = new Promise<Buffer | undefined>((resolve) => {
            socket.once('OCSPResponse', (r: Buffer) => resolve(r));
            socket.once('secureConnect', () => setImmediate(() => resolve(undefined)));
            socket.once('error', (e) => {
              how = e.message;
              resolve(undefined);
            });
          });
          await nextEvent(socket, 'connect');
          fs.writeFileSync(gate, '');
          const der = await response;
          socket.destroy();
          if (name === 'reference' && !der?.length) {
            // Debian's nghttpx 1.52 now and then (1 run in 5 at load 20+) hands such an early client
            // to a worker before its first OCSP round is over: its race, not a behaviour to match.
            t.log(`the reference did not staple for the early client this time (${how})`);
            continue;
          }
          const state = proc.exitCode !== null || proc.signalCode !== null ? `exited ${proc.exitCode ?? proc.signalCode}` : 'running';
          const errlog = path.join(p.dir, `startup-${name.replace(/\W/g, '')}.log`);
          t.truthy(
            der?.length,
            `${name}: the first client got a stapled response (${der ? 'empty' : how}); the proxy on ${port}: ${state}; its log: ${fs.existsSync(errlog) ? fs.readFileSync(errlog, 'utf8').slice(-1500) : '(none)'}`,
          );
          if (der) t.true(der.equals(fs.readFileSync(good)), name);
        } finally {
          await stopProcess(proc);
        }
      }
    } finally {
      await echo.stop();
    }
  },
);
