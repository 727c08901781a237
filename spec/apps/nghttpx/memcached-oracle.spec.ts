/**
 * nghttpx's TLS state in memcached, side by side with Debian's /usr/sbin/nghttpx and Debian's
 * memcached: the session cache (`--tls-session-cache-memcached`: a TLSv1.2 session ID stored by one
 * proxy resumes on it, on our other worker process, and across the two implementations), ticket
 * keys read from memcached (`--tls-ticket-key-memcached`: tickets cross between the two), the
 * retry/failure rules when memcached is down, and memcached over TLS with a client certificate.
 */
import test from 'ava';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { MemcachedClient, parseMemcachedAddress } from '../../../lib/apps/nghttpx/memcached';
import { parseArgs } from '../../../lib/apps/nghttpx/options';
import {
  encodeTicketEntry,
  MemcachedTicketKeys,
  parseTicketEntry,
  SESSION_KEY_PREFIX,
  TICKET_KEY_ENTRY,
} from '../../../lib/apps/nghttpx/tls-memcached';
import { TicketKeyRing } from '../../../lib/apps/nghttpx/ticket-keys';
import { deadPort } from '../../helpers/net';
import { hasOpenssl, Pki, scratchPki } from '../../helpers/pki';
import { handshake } from '../../helpers/s-client';
import { waitFor } from '../../helpers/wait';
import { freePort, listenHttp, Nghttpx, spawnNghttpx, stopProcess } from './helpers';
import { HAS_MEMCACHED, NO_MEMCACHED, startMemcached } from './memcached-peer';

const HAS_REF = fs.existsSync('/usr/sbin/nghttpx');
const HAVE = hasOpenssl() && HAS_REF && HAS_MEMCACHED;
const t_ = HAVE ? test.serial : test.serial.skip;
if (!HAVE) test('memcached oracle specs', (t) => t.pass(`skipped: ${HAS_MEMCACHED ? 'openssl or Debian nghttpx missing' : NO_MEMCACHED}`));

const scratch = scratchPki('memcached-');

/** A memcached client over TLS to localhost:`port` presenting the PKI's client key pair. */
function tlsClient(port: number, p: Pki): MemcachedClient {
  return new MemcachedClient({
    address: { host: 'localhost', port, tls: true },
    family: 'IPv4',
    cert: fs.readFileSync(p.client.cert),
    key: fs.readFileSync(p.client.key),
    ca: fs.readFileSync(p.ca.cert),
  });
}

type Who = Nghttpx;

/** One nghttpx with a TLS frontend: its port, error log and stop(). */
async function start(who: Who, backendPort: number, extra: string[]): Promise<{ port: number; errors: string; stop(): Promise<void> }> {
  const pki = scratch.pki();
  const port = await freePort();
  const errors = path.join(scratch.dir, `${who}-${port}.errors`);
  const args = [
    '--conf=/dev/null',
    `-f127.0.0.1,${port}`,
    `-b127.0.0.1,${backendPort}`,
    '--no-ocsp',
    `--errorlog-file=${errors}`,
    ...extra,
    pki.servers.localhost.key,
    pki.servers.localhost.cert,
  ];
  const proc = await spawnNghttpx(who, args, [port]);
  return { port, errors, stop: () => stopProcess(proc) };
}

/** The error log once it matches `re` (the text either way, for the assertion's message). */
async function logMatching(file: string, re: RegExp): Promise<string> {
  const read = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  return (await waitFor(`${re} in ${file}`, () => (re.test(read()) ? read() : undefined))) ?? read();
}

const sess = (name: string) => path.join(scratch.dir, `${name}.sess`);
const BACKEND = () => listenHttp((_req, res) => res.end('ok'));

t_(
  'session cache: a TLSv1.2 session ID stored in memcached resumes on the same proxy, across our -n 2 workers, and across ours and the reference',
  async (t) => {
    const mc = await startMemcached();
    const backend = await BACKEND();
    const cache = `--tls-session-cache-memcached=${mc.address}`;
    const ref = await start('reference', backend.port, [cache]);
    const ours = await start('ours', backend.port, [cache, '-n', '2']);
    try {
      for (const [who, p] of [
        ['reference', ref],
        ['ours', ours],
      ] as const) {
        // Connections go to our two workers in turn: the pairs span both.
        for (let i = 0; i < 3; i++) {
          const s = sess(`${who}-${i}`);
          const full = await handshake(p.port, 'tls1_2', { out: s, noTicket: true });
          t.false(full.reused, `${who}: first handshake`);
          t.is(full.status, '200');
          t.regex(full.sessionId, /^[0-9a-f]{64}$/);
          const stored = await waitFor('the session in memcached', () => mc.client!.get(SESSION_KEY_PREFIX + full.sessionId));
          t.truthy(stored, `${who}: memcached holds ${SESSION_KEY_PREFIX}${full.sessionId}`);
          const again = await handshake(p.port, 'tls1_2', { from: s, noTicket: true });
          t.true(again.reused, `${who}: pair ${i} resumes`);
          t.is(again.status, '200');
        }
      }
      // The same DER session serves both implementations (session ID context "shrpx" on both).
      t.true(
        (await handshake(ours.port, 'tls1_2', { from: sess('reference-0'), noTicket: true })).reused,
        "the reference's session resumes on ours",
      );
      t.true(
        (await handshake(ref.port, 'tls1_2', { from: sess('ours-0'), noTicket: true })).reused,
        'our session resumes on the reference',
      );
    } finally {
      await Promise.all([ref.stop(), ours.stop(), backend.stop()]);
      await mc.stop();
    }
  },
);

t_("session cache with memcached down: answers as usual, sessions resume from the process's own cache, on both", async (t) => {
  const backend = await BACKEND();
  const cache = `--tls-session-cache-memcached=127.0.0.1,${await deadPort()}`;
  try {
    for (const who of ['reference', 'ours'] as Who[]) {
      const p = await start(who, backend.port, [cache]);
      try {
        const s = sess(`down-${who}`);
        const full = await handshake(p.port, 'tls1_2', { out: s, noTicket: true });
        t.is(full.status, '200', who);
        // Sessions are also kept in the process (the reference: OpenSSL's internal cache).
        const again = await handshake(p.port, 'tls1_2', { from: s, noTicket: true });
        t.true(again.reused, `${who}: resumed from the process's own cache`);
        t.is(again.status, '200', who);
      } finally {
        await p.stop();
      }
    }
  } finally {
    await backend.stop();
  }
});

t_('ticket keys from memcached: tickets under the entry keys cross between ours and the reference (TLSv1.2, TLSv1.3)', async (t) => {
  const mc = await startMemcached();
  const backend = await BACKEND();
  // Two keys: the first encrypts; a ticket under the second still decrypts.
  const k1 = crypto.randomBytes(48);
  const k2 = crypto.randomBytes(48);
  t.true(await mc.client!.set(TICKET_KEY_ENTRY, encodeTicketEntry([k1, k2]), 0));
  const args = [`--tls-ticket-key-memcached=${mc.address}`, '--tls-ticket-key-cipher=aes-128-cbc'];
  const ref = await start('reference', backend.port, args);
  const ours = await start('ours', backend.port, args);
  try {
    for (const p of [ref, ours])
      t.regex(await logMatching(p.errors, /tls ticket get success/), /NOTICE .*Memcached: tls ticket get success/);
    for (const v of ['tls1_2', 'tls1_3'] as const) {
      const fromRef = sess(`tk-ref-${v}`);
      const fromOurs = sess(`tk-ours-${v}`);
      t.true((await handshake(ref.port, v, { out: fromRef })).tickets >= 1);
      t.true((await handshake(ours.port, v, { out: fromOurs })).tickets >= 1);
      t.true((await handshake(ours.port, v, { from: fromRef })).reused, `${v}: the reference's ticket resumes on ours`);
      t.true((await handshake(ref.port, v, { from: fromOurs })).reused, `${v}: our ticket resumes on the reference`);
    }
  } finally {
    await Promise.all([ref.stop(), ours.stop(), backend.stop()]);
    await mc.stop();
  }
});

t_('ticket keys with memcached down: retries, then "disable tls ticket" (log lines as the reference); no ticket resumes', async (t) => {
  const backend = await BACKEND();
  const args = [
    `--tls-ticket-key-memcached=127.0.0.1,${await deadPort()}`,
    '--tls-ticket-key-memcached-max-retry=1',
    '--tls-ticket-key-memcached-max-fail=1',
  ];
  const views: Record<Who, unknown> = { reference: undefined, ours: undefined };
  try {
    for (const who of ['reference', 'ours'] as Who[]) {
      const p = await start(who, backend.port, args);
      try {
        const log = await logMatching(p.errors, /tls ticket get failed, schedule next/);
        const full = await handshake(p.port, 'tls1_2', {});
        views[who] = {
          lines: [
            /WARN .*Memcached: tls ticket get retry all failed 1 times\./.test(log),
            /WARN .*Memcached: could not get tls ticket; disable tls ticket/.test(log),
            /WARN .*Memcached: tls ticket get failed, schedule next/.test(log),
          ],
          status: full.status,
        };
        // The reference then sends no NewSessionTicket and resumes by session ID from its own
        // cache; Node cannot turn tickets off for a running context, so ours sends an empty
        // ticket (RFC 5077 section 3.3 allows it) and that TLSv1.2 session has no ID to resume.
        if (who === 'ours') t.is(full.tickets, 1);
      } finally {
        await p.stop();
      }
    }
  } finally {
    await backend.stop();
  }
  t.deepEqual(views.ours, views.reference);
  t.deepEqual(views.ours, { lines: [true, true, true], status: '200' });
});

t_(
  'memcached over TLS (;tls) with a client certificate: the session cache works with the key pair, not without; as the reference',
  async (t) => {
    const pki = scratch.pki();
    const mc = await startMemcached({ cert: pki.servers.localhost.cert, key: pki.servers.localhost.key, clientCa: pki.ca.cert });
    const backend = await BACKEND();
    const cache = [`--tls-session-cache-memcached=localhost,${mc.port};tls`, `--cacert=${pki.ca.cert}`];
    const withPair = [
      `--tls-session-cache-memcached-cert-file=${pki.client.cert}`,
      `--tls-session-cache-memcached-private-key-file=${pki.client.key}`,
    ];
    const look = tlsClient(mc.port, pki);
    const views: Record<Who, unknown> = { reference: undefined, ours: undefined };
    try {
      for (const who of ['reference', 'ours'] as Who[]) {
        // A session stored through one process, looked up by a new one (its own cache is empty):
        // only memcached can answer, and only to a proxy holding the client key pair.
        const s = sess(`mtls-${who}`);
        const first = await start(who, backend.port, [...cache, ...withPair]);
        try {
          const full = await handshake(first.port, 'tls1_2', { out: s, noTicket: true });
          t.is(full.status, '200');
          // The store is not awaited by the handshake: wait until memcached holds it.
          t.truthy(await waitFor('the session in memcached', () => look.get(SESSION_KEY_PREFIX + full.sessionId)));
        } finally {
          await first.stop();
        }
        const seen: boolean[] = [];
        for (const extra of [withPair, []]) {
          const p = await start(who, backend.port, [...cache, ...extra, '--tls-session-cache-memcached-address-family=IPv4']);
          try {
            seen.push((await handshake(p.port, 'tls1_2', { from: s, noTicket: true })).reused);
          } finally {
            await p.stop();
          }
        }
        views[who] = seen;
      }
    } finally {
      look.close();
      await backend.stop();
      await mc.stop();
    }
    t.deepEqual(views.ours, [true, false]);
    t.deepEqual(views.ours, views.reference);
  },
);

test('option values: <HOST>,<PORT>[;tls] checked as the reference words it', (t) => {
  t.deepEqual(parseMemcachedAddress('localhost,11211;tls', 'x'), { host: 'localhost', port: 11211, tls: true });
  const err = (v: string) =>
    t.throws(() => parseArgs(['--conf=/dev/null', '-f127.0.0.1,3000;no-tls', `--tls-session-cache-memcached=${v}`]))?.message;
  // Debian's nghttpx 1.52: "tls-session-cache-memcached: Invalid host, port: 127.0.0.1", "Port is invalid: x", "foo: unknown keyword".
  t.regex(err('127.0.0.1') ?? '', /tls-session-cache-memcached: Invalid host, port: 127\.0\.0\.1/);
  t.regex(err('127.0.0.1,x') ?? '', /tls-session-cache-memcached: Port is invalid: x/);
  t.regex(err('127.0.0.1,11211;foo') ?? '', /tls-session-cache-memcached: foo: unknown keyword/);
  const ok = parseArgs([
    '--conf=/dev/null',
    '-f127.0.0.1,3000;no-tls',
    '--tls-ticket-key-memcached=127.0.0.1,11211',
    '--tls-ticket-key-memcached-interval=30s',
  ]);
  t.true('options' in ok);
});

test("ticket key entries: version 1, (length, key) pairs of 48 or 80 bytes, the reference's refusals", (t) => {
  const k = [crypto.randomBytes(48), crypto.randomBytes(48)];
  const r = parseTicketEntry(encodeTicketEntry(k), 'aes-128-cbc');
  if (!('keys' in r)) return t.fail(r.error);
  t.is(r.keys.length, 2);
  t.true(r.keys[0].name.equals(k[0].subarray(0, 16)));
  t.true(r.keys[0].encKey.equals(k[0].subarray(16, 32)));
  t.true(r.keys[0].hmacKey.equals(k[0].subarray(32)));
  t.deepEqual(parseTicketEntry(Buffer.alloc(3), undefined), { error: 'tls ticket key value is too small: got 3' });
  const v2 = encodeTicketEntry(k);
  v2.writeUInt32BE(2);
  t.deepEqual(parseTicketEntry(v2, undefined), { error: 'tls ticket key version: want 1, got 2' });
  t.deepEqual(parseTicketEntry(encodeTicketEntry([crypto.randomBytes(48)]), 'aes-256-cbc'), {
    error: 'wrong tls ticket key size: want 80, got 48',
  });
  t.deepEqual(parseTicketEntry(encodeTicketEntry(k).subarray(0, 60), undefined), {
    error: 'too short tls ticket key payload: want 48, got 4',
  });
});

test('an empty ring issues no ticket (OpenSSL is told 0) and decrypts none', (t) => {
  const ring = new TicketKeyRing([], 'aes-128-cbc');
  ring.set([]);
  const enc = ring.callback(Buffer.alloc(16), Buffer.alloc(16), true) as Buffer[];
  t.is(enc[0] as unknown as number, 0);
  t.true(enc.slice(1).every((b) => b.length === 16));
  t.is(ring.callback(crypto.randomBytes(16), Buffer.alloc(16), false)[0], 0);
});

test('MemcachedTicketKeys: a network error is retried after 1..2^n s up to max-retry, then counts as a failure', async (t) => {
  const o = parseArgs([
    '--conf=/dev/null',
    '-f127.0.0.1,3000;no-tls',
    `--tls-ticket-key-memcached=127.0.0.1,${await deadPort()}`,
    '--tls-ticket-key-memcached-max-retry=2',
  ]);
  if (!('options' in o)) return t.fail();
  const logs: string[] = [];
  const asked: number[] = [];
  const keys = new MemcachedTicketKeys(
    o.options,
    new TicketKeyRing([], undefined),
    (l, m) => logs.push(`${l} ${m}`),
    (max) => {
      asked.push(max);
      return 1;
    },
  );
  try {
    await waitFor('a retry scheduled', () => logs.some((l) => l.includes('retrying in 1 seconds')));
    await waitFor('the retries given up', () => logs.some((l) => l.includes('retry all failed')), { timeoutMs: 20000 });
    t.deepEqual(asked, [2]);
    t.is(keys.ring.list.length, 0, 'no keys: no tickets');
    t.true(logs.includes('WARN Memcached: tls ticket get failed, schedule next'));
  } finally {
    keys.stop();
  }
});

test('MemcachedClient: get/set against a real memcached, a miss is undefined, a dead server a network error', async (t) => {
  if (!HAS_MEMCACHED) return t.pass(NO_MEMCACHED);
  const mc = await startMemcached();
  try {
    const c = mc.client!;
    t.is(await c.get('nghttpx:none'), undefined);
    const value = crypto.randomBytes(3000);
    t.true(await c.set('nghttpx:k', value, 60));
    t.true((await c.get('nghttpx:k'))?.equals(value));
    const many = await Promise.all([c.get('nghttpx:k'), c.get('nghttpx:none'), c.get('nghttpx:k')]);
    t.deepEqual(
      many.map((b) => b?.length),
      [3000, undefined, 3000],
    );
  } finally {
    await mc.stop();
  }
  const dead = new MemcachedClient({ address: { host: '127.0.0.1', port: await deadPort(), tls: false }, family: 'auto' });
  await t.throwsAsync(dead.get('x'), { message: /memcached: / });
  dead.close();
});

t_(
  'ticket keys over TLS with the key pair (--tls-ticket-key-memcached-cert-file/-private-key-file), read again every --tls-ticket-key-memcached-interval',
  async (t) => {
    const pki = scratch.pki();
    const mc = await startMemcached({ cert: pki.servers.localhost.cert, key: pki.servers.localhost.key, clientCa: pki.ca.cert });
    const writer = tlsClient(mc.port, pki);
    const [a, b] = [crypto.randomBytes(48), crypto.randomBytes(48)];
    const parsed = parseArgs([
      '--conf=/dev/null',
      '-f127.0.0.1,3000;no-tls',
      `--tls-ticket-key-memcached=localhost,${mc.port};tls`,
      '--tls-ticket-key-memcached-address-family=IPv4',
      `--tls-ticket-key-memcached-cert-file=${pki.client.cert}`,
      `--tls-ticket-key-memcached-private-key-file=${pki.client.key}`,
      `--cacert=${pki.ca.cert}`,
      '--tls-ticket-key-memcached-interval=200ms',
    ]);
    if (parsed.kind !== 'run') return t.fail();
    const logs: string[] = [];
    let keys: MemcachedTicketKeys | undefined;
    try {
      t.true(await writer.set(TICKET_KEY_ENTRY, encodeTicketEntry([a]), 0));
      keys = new MemcachedTicketKeys(parsed.options, new TicketKeyRing([], 'aes-128-cbc'), (l, m) => logs.push(`${l} ${m}`));
      const ring = keys.ring;
      await waitFor('the first key', () => ring.list[0]?.name.equals(a.subarray(0, 16)));
      t.true(await writer.set(TICKET_KEY_ENTRY, encodeTicketEntry([b, a]), 0));
      await waitFor('the keys read again', () => ring.list[0]?.name.equals(b.subarray(0, 16)));
      t.is(ring.list.length, 2);
      t.true(logs.includes('NOTICE Memcached: tls ticket get success'));
    } finally {
      keys?.stop();
      writer.close();
      await mc.stop();
    }
  },
);
