/**
 * TLS session tickets in nghttpx, side by side with Debian's /usr/sbin/nghttpx: `openssl s_client
 * -sess_out/-sess_in` resumes sessions (TLSv1.2 and TLSv1.3) across restarts with key files
 * rotated by the operator (the first key encrypts, every key decrypts), across the two
 * implementations sharing one key file, and across our worker processes with generated keys;
 * the access log's `$tls_session_reused` and `$tls_session_id` agree with the reference's.
 */
import test from 'ava';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chooseTicketKeys, readKeyFiles, TicketKeyRing } from '../../../lib/apps/nghttpx/ticket-keys';
import { hasOpenssl, scratchPki } from '../../helpers/pki';
import { handshake } from '../../helpers/s-client';
import { waitFor } from '../../helpers/wait';
import { freePort, listenHttp, spawnNghttpx, stopProcess } from './helpers';

const HAVE = hasOpenssl() && fs.existsSync('/usr/sbin/nghttpx');
const t_ = HAVE ? test.serial : test.serial.skip;

const scratch = scratchPki('tickets-');

type Who = 'reference' | 'ours';

/** A key file of `n` random bytes. */
function keyFile(name: string, n = 48): string {
  const f = path.join(scratch.dir, name);
  fs.writeFileSync(f, crypto.randomBytes(n));
  return f;
}

/** Start one nghttpx with a TLS frontend; resolves with its port, access log and stop(). */
async function start(
  who: Who,
  backendPort: number,
  extra: string[],
): Promise<{ port: number; access: string; errors: string; stop(): Promise<void> }> {
  const pki = scratch.pki();
  const port = await freePort();
  const access = path.join(scratch.dir, `${who}-${port}.access`);
  const errors = path.join(scratch.dir, `${who}-${port}.errors`);
  const args = [
    '--conf=/dev/null',
    `-f127.0.0.1,${port}`,
    `-b127.0.0.1,${backendPort}`,
    '--no-ocsp',
    `--accesslog-file=${access}`,
    `--errorlog-file=${errors}`,
    '--accesslog-format=$tls_protocol $tls_session_reused $tls_session_id',
    ...extra,
    pki.servers.localhost.key,
    pki.servers.localhost.cert,
  ];
  const proc = await spawnNghttpx(who, args, [port]);
  return { port, access, errors, stop: () => stopProcess(proc) };
}

/** The access log's lines once it has `n`. */
async function accessLines(file: string, n: number): Promise<string[]> {
  const lines = await waitFor(`${n} access log lines in ${file}`, (): string[] | undefined => {
    const got = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    return got.length >= n ? got : undefined;
  });
  return lines ?? [];
}

const BACKEND = () => listenHttp((_req, res) => res.end('ok'));

t_('rotation by the operator: the first key encrypts, the others still decrypt (TLSv1.2, TLSv1.3), as the reference', async (t) => {
  const backend = await BACKEND();
  const a = keyFile('rot-a');
  const b = keyFile('rot-b');
  const c = keyFile('rot-c');
  const cipher = '--tls-ticket-key-cipher=aes-128-cbc';
  try {
    for (const who of ['reference', 'ours'] as Who[]) {
      for (const v of ['tls1_2', 'tls1_3'] as const) {
        const s1 = path.join(scratch.dir, `${who}-${v}-1.sess`);
        const s2 = path.join(scratch.dir, `${who}-${v}-2.sess`);
        // 1. Only key B: a full handshake gives a ticket under B.
        let p = await start(who, backend.port, [`--tls-ticket-key-file=${b}`, cipher]);
        const first = await handshake(p.port, v, { out: s1 });
        await p.stop();
        t.false(first.reused, `${who} ${v}: first handshake`);
        t.is(first.status, '200');
        t.true(first.tickets >= 1, `${who} ${v}: a ticket`);
        // 2. A new key A first, B kept for decryption: the B ticket resumes and a new one (under A) comes.
        p = await start(who, backend.port, [`--tls-ticket-key-file=${a}`, `--tls-ticket-key-file=${b}`, cipher]);
        const second = await handshake(p.port, v, { from: s1, out: s2 });
        await p.stop();
        t.true(second.reused, `${who} ${v}: a ticket under the second key resumes`);
        t.is(second.tickets, 1, `${who} ${v}: and is renewed under the first`);
        // 3. Only A now: the renewed ticket resumes (s_client saves a renewed session for TLSv1.3
        // only); the old B ticket does not.
        p = await start(who, backend.port, [`--tls-ticket-key-file=${a}`, cipher]);
        if (v === 'tls1_3') t.true((await handshake(p.port, v, { from: s2 })).reused, `${who} ${v}: the renewed ticket resumes under A`);
        const old = await handshake(p.port, v, { from: s1 });
        await p.stop();
        t.false(old.reused, `${who} ${v}: a ticket under a dropped key gets a full handshake`);
        t.is(old.status, '200');
        // 4. An unknown key: full handshake, no failure.
        p = await start(who, backend.port, [`--tls-ticket-key-file=${c}`, cipher]);
        const unknown = await handshake(p.port, v, { from: s1 });
        await p.stop();
        t.false(unknown.reused);
        t.is(unknown.status, '200');
      }
    }
  } finally {
    await backend.stop();
  }
});

t_('one key file, two implementations: a ticket from one resumes on the other', async (t) => {
  const backend = await BACKEND();
  const k = keyFile('shared');
  const args = [`--tls-ticket-key-file=${k}`, '--tls-ticket-key-cipher=aes-128-cbc'];
  const ref = await start('reference', backend.port, args);
  const ours = await start('ours', backend.port, args);
  try {
    for (const v of ['tls1_2', 'tls1_3'] as const) {
      const fromRef = path.join(scratch.dir, `x-ref-${v}.sess`);
      const fromOurs = path.join(scratch.dir, `x-ours-${v}.sess`);
      await handshake(ref.port, v, { out: fromRef });
      await handshake(ours.port, v, { out: fromOurs });
      t.true((await handshake(ours.port, v, { from: fromRef })).reused, `${v}: the reference's ticket resumes on ours`);
      t.true((await handshake(ref.port, v, { from: fromOurs })).reused, `${v}: our ticket resumes on the reference`);
    }
  } finally {
    await Promise.all([ref.stop(), ours.stop(), backend.stop()]);
  }
});

t_('$tls_session_reused and $tls_session_id: the same as the reference (a TLSv1.2 ticket logs the ID the client offered)', async (t) => {
  const backend = await BACKEND();
  try {
    const views: Record<Who, string[]> = { reference: [], ours: [] };
    for (const who of ['reference', 'ours'] as Who[]) {
      const p = await start(who, backend.port, []);
      try {
        const s12 = path.join(scratch.dir, `log-${who}-12.sess`);
        const s13 = path.join(scratch.dir, `log-${who}-13.sess`);
        const full12 = await handshake(p.port, 'tls1_2', { out: s12 });
        await handshake(p.port, 'tls1_2', { from: s12 });
        await handshake(p.port, 'tls1_3', { out: s13 });
        await handshake(p.port, 'tls1_3', { from: s13 });
        const lines = await accessLines(p.access, 4);
        // A fresh TLSv1.2 session with a ticket has no ID on the server side; resumed, it has the
        // ID the client offered (the one it got in the first handshake's ServerHello).
        t.is(lines[0], 'TLSv1.2 . -', `${who}: full TLSv1.2`);
        t.is(lines[1], `TLSv1.2 r ${full12.sessionId}`, `${who}: resumed TLSv1.2`);
        t.regex(lines[2], /^TLSv1\.3 \. [0-9a-f]{64}$/, `${who}: full TLSv1.3`);
        t.regex(lines[3], /^TLSv1\.3 r [0-9a-f]{64}$/, `${who}: resumed TLSv1.3`);
        views[who] = lines.map((l) => l.replace(/[0-9a-f]{64}/, 'ID'));
      } finally {
        await p.stop();
      }
    }
    t.deepEqual(views.ours, views.reference);
  } finally {
    await backend.stop();
  }
});

t_('generated keys with -n 2: a session begun on one worker process resumes on the other', async (t) => {
  const backend = await BACKEND();
  const p = await start('ours', backend.port, ['-n', '2']);
  try {
    // Connections go to the workers in turn: each pair below spans both.
    for (let i = 0; i < 3; i++) {
      const s = path.join(scratch.dir, `n2-${i}.sess`);
      const full = await handshake(p.port, 'tls1_2', { out: s });
      t.false(full.reused);
      t.true((await handshake(p.port, 'tls1_2', { from: s })).reused, `pair ${i}`);
    }
    t.regex(fs.readFileSync(p.errors, 'utf8'), /NOTICE \(supervisor\.ts\) Renew new ticket keys/);
  } finally {
    await Promise.all([p.stop(), backend.stop()]);
  }
});

t_('a key file of the wrong size: an ERROR, then generated keys, as the reference', async (t) => {
  const backend = await BACKEND();
  const bad = keyFile('short', 10);
  try {
    for (const who of ['reference', 'ours'] as Who[]) {
      const p = await start(who, backend.port, [`--tls-ticket-key-file=${bad}`, '--tls-ticket-key-cipher=aes-128-cbc']);
      try {
        const s = path.join(scratch.dir, `bad-${who}.sess`);
        t.is((await handshake(p.port, 'tls1_2', { out: s })).status, '200');
        t.true((await handshake(p.port, 'tls1_2', { from: s })).reused, `${who}: generated keys resume`);
        const log = fs.readFileSync(p.errors, 'utf8');
        t.regex(log, /ERROR .*tls-ticket-key-file: the expected file size is 48, the actual file size is 10/, who);
        t.regex(log, /WARN .*Use internal session ticket key generator/, who);
      } finally {
        await p.stop();
      }
    }
  } finally {
    await backend.stop();
  }
});

test('TicketKeyRing: encrypt under the first key, decrypt by name, keep 12 keys when renewing', (t) => {
  const ring = new TicketKeyRing([], 'aes-128-cbc');
  const first = ring.list[0];
  const [r, hmac, aes, name, iv] = ring.callback(Buffer.alloc(16), Buffer.alloc(16), true) as Buffer[];
  t.is(r as unknown as number, 1);
  t.true(name.equals(first.name));
  t.true(hmac.equals(first.hmacKey));
  t.is(aes.length, 16);
  t.is(iv.length, 16);
  ring.rotate();
  t.is(ring.list.length, 2);
  t.true(ring.list[1].name.equals(first.name));
  // A ticket under the older key still decrypts, and is renewed.
  t.is(ring.callback(first.name, Buffer.alloc(16), false)[0], 2);
  t.is(ring.callback(crypto.randomBytes(16), Buffer.alloc(16), false)[0], 0);
  for (let i = 0; i < 20; i++) ring.rotate();
  t.is(ring.list.length, 12);
});

test('readKeyFiles / chooseTicketKeys: the reference layout and its fallbacks', (t) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-unit-'));
  try {
    const f48 = path.join(d, 'k48');
    const bytes = crypto.randomBytes(48);
    fs.writeFileSync(f48, bytes);
    const r = readKeyFiles([f48], undefined);
    if (!('keys' in r)) return t.fail(r.error);
    // name | encryption key | HMAC key (nghttpx's read_tls_ticket_key_file).
    t.true(r.keys[0].name.equals(bytes.subarray(0, 16)));
    t.true(r.keys[0].encKey.equals(bytes.subarray(16, 32)));
    t.true(r.keys[0].hmacKey.equals(bytes.subarray(32, 48)));
    const f80 = path.join(d, 'k80');
    fs.writeFileSync(f80, crypto.randomBytes(80));
    t.deepEqual(readKeyFiles([f80], 'aes-128-cbc'), {
      error: 'tls-ticket-key-file: the expected file size is 48, the actual file size is 80',
    });
    const r80 = readKeyFiles([f80], 'aes-256-cbc');
    t.true('keys' in r80 && r80.keys[0].encKey.length === 32 && r80.keys[0].hmacKey.length === 32);
    const logs: string[] = [];
    const chosen = chooseTicketKeys(
      { tlsTicketKeyFiles: [path.join(d, 'missing')], tlsTicketKeyCipher: 'aes-128-cbc' },
      undefined,
      (l, m) => logs.push(`${l} ${m}`),
    );
    chosen.ring.stop();
    t.true(chosen.owned);
    t.regex(
      logs.join('\n'),
      /ERROR tls-ticket-key-file: could not read file .*missing: ENOENT\nWARN Use internal session ticket key generator\nNOTICE Renew new ticket keys/,
    );
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});
