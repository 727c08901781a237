/**
 * nghttpx's syslog logs (`errorlog-syslog`, `accesslog-syslog`, as in Debian's shipped
 * /etc/nghttpx/nghttpx.conf): lines reach a local syslog datagram socket with RFC 3164 priorities
 * from `--syslog-facility` and the line's level; where there is no socket at /dev/log, one warning
 * and the log on stderr.
 */
import test from 'ava';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SYSLOG_FACILITIES, syslogSink } from '../../../lib/apps/nghttpx/log-sinks';
import { until } from '../../helpers/wait';
import { freePort, OUR_NGHTTPX, spawnServer, stopProcess } from './helpers';

const PYTHON = '/usr/bin/python3';
const HAS_LOGGER = ['/usr/bin/logger', '/bin/logger'].some((p) => fs.existsSync(p));

/** Node binds no AF_UNIX datagram socket: python3 binds one at `sock` and prints each datagram as a JSON string. */
const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("ready"), flush=True)
s.settimeout(60)
try:
    while True:
        print(json.dumps(s.recv(65536).decode("latin1")), flush=True)
except socket.timeout:
    pass
`;

(fs.existsSync(PYTHON) && HAS_LOGGER ? test : test.skip)(
  'syslogSink: each line is one datagram on the local socket, <facility*8+severity> from --syslog-facility and the level',
  async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-syslog-'));
    const sock = path.join(dir, 'log');
    const receiver = spawn(PYTHON, ['-c', RECEIVER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    const got: string[] = [];
    let rest = '';
    receiver.stdout.setEncoding('utf8').on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop()!;
      for (const l of lines) got.push(JSON.parse(l));
    });
    try {
      t.true(await until(() => got.includes('ready')), 'the receiver bound its socket');
      t.is(
        syslogSink(SYSLOG_FACILITIES.local0, () => 'NOTICE', path.join(dir, 'absent')),
        undefined,
        'no socket: no sink',
      );
      const levelOf = (l: string) => / (INFO|NOTICE|WARN|ERROR|FATAL) /.exec(l)?.[1] ?? 'NOTICE';
      const sink = syslogSink(SYSLOG_FACILITIES.local0, levelOf, sock);
      if (!sink) return t.fail('a sink for an existing socket');
      const lines = [
        '2026-12-07T04:00:00.000Z 1 1 abcdef01 ERROR (forwarding.ts) Backend connect failed',
        '2026-12-07T04:00:00.001Z 1 1 abcdef01 WARN (proxy.ts) a warning',
        '127.0.0.1 - - [07/Dec/2026:04:00:00 +0000] "GET / HTTP/2" 200 5 "-" "curl"',
      ];
      for (const l of lines) sink.write(l);
      t.true(await until(() => got.length >= 4), got.join('\n'));
      sink.close();
      // local0 is 16: ERROR is severity 3, WARN 4, a line without a level NOTICE (5); RFC 3164 tag nghttpx.
      const [pri, msg] = [got.slice(1).map((g) => /^<(\d+)>/.exec(g)?.[1]), got.slice(1).map((g) => g.replace(/^<\d+>.*? nghttpx: /, ''))];
      t.deepEqual(pri, ['131', '132', '133']);
      t.deepEqual(msg, lines);
    } finally {
      receiver.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

(fs.existsSync('/dev/log') ? test.skip : test)(
  'errorlog-syslog=yes with no socket at /dev/log: one warning, then the error log on stderr (bin/nghttpx)',
  async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-syslog-'));
    const port = await freePort();
    const backend = await freePort(); // nothing listens there: the request logs a connect failure
    const conf = path.join(dir, 'nghttpx.conf');
    fs.writeFileSync(conf, `frontend=127.0.0.1,${port};no-tls\nbackend=127.0.0.1,${backend}\nerrorlog-syslog=yes\nworkers=1\n`);
    let stderr = '';
    const proc = await spawnServer('our nghttpx', process.execPath, [OUR_NGHTTPX, `--conf=${conf}`], [port], {
      onStderr: (text) => (stderr += text),
    });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      t.is(res.status, 502);
      t.true(await until(() => /Backend connect failed/.test(stderr)), stderr);
      const warnings = stderr.split('\n').filter((l) => /no syslog socket/.test(l));
      t.is(warnings.length, 1, stderr);
      t.regex(warnings[0], / WARN \(proxy\.ts\) errorlog-syslog: no syslog socket at \/dev\/log; the error log goes to stderr$/);
    } finally {
      await stopProcess(proc);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
