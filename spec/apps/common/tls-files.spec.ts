import test from 'ava';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ToolError } from '../../../lib/apps/common/cli';
import { loadKeyAndCert } from '../../../lib/apps/common/tls-files';
import { FIXTURE_CERT as CERT, FIXTURE_KEY as KEY } from '../../helpers/repo';

const labels = { key: '<PRIVATE_KEY>', cert: '<CERT>' };

test('a good pair loads', (t) => {
  const pair = loadKeyAndCert(KEY, CERT, labels);
  t.true(pair.key.length > 0 && pair.cert.length > 0);
});

test('swapped, missing, directory, wrong kind, foreign key: one line naming the path', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-files-'));
  try {
    const cases: [string, string, RegExp][] = [
      [CERT, KEY, /holds a certificate and <CERT> '.*server\.key' holds a private key: they look swapped/],
      [path.join(dir, 'none.key'), CERT, /^<PRIVATE_KEY>: '.*none\.key' does not exist$/],
      [dir, CERT, /^<PRIVATE_KEY>: '.*' is a directory, not a file$/],
      [KEY, KEY, /^<CERT>: '.*server\.key' holds a private key, not a certificate$/],
      [CERT, CERT, /^<PRIVATE_KEY>: '.*server\.crt' holds a certificate, not a private key$/],
    ];
    const junk = path.join(dir, 'junk.pem');
    fs.writeFileSync(junk, 'hello\n');
    cases.push([junk, CERT, /holds no PEM private key/]);
    let other: string | undefined;
    try {
      other = path.join(dir, 'other.key');
      execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', other], { stdio: 'ignore' });
      cases.push([other, CERT, /does not belong to <CERT> .*key values mismatch/]);
    } catch {
      t.log('openssl not found: the mismatched-key case is skipped');
    }
    for (const [k, c, re] of cases) {
      const e = t.throws(() => loadKeyAndCert(k, c, labels), { instanceOf: ToolError }, `${k} ${c}`);
      t.regex(e!.message, re);
      t.false(e!.message.includes('\n'));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('nghttpd with key and certificate swapped: one line, exit 1, before listening', (t) => {
  const bin = path.join(path.dirname(path.dirname(KEY)), '..', 'bin', 'nghttpd');
  let status = 0;
  let stderr = '';
  try {
    execFileSync(process.execPath, [bin, '-a', '127.0.0.1', '0', CERT, KEY], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (e) {
    const err = e as { status: number; stderr: Buffer };
    status = err.status;
    stderr = err.stderr.toString();
  }
  t.is(status, 1);
  t.regex(
    stderr,
    /^nghttpd: <PRIVATE_KEY> '.*server\.crt' holds a certificate and <CERT> '.*server\.key' holds a private key: they look swapped/,
  );
  t.is(stderr.trimEnd().split('\n').length, 1);
});
