/**
 * nghttpx's TLS state shared through memcached: the session cache (`--tls-session-cache-memcached`:
 * each new session stored under `nghttpx:tls-session-cache:<hex id>` for 12 hours, a client's
 * session ID looked up there) and the ticket keys (`--tls-ticket-key-memcached`: read from
 * `nghttpx:tls-ticket-key` now and every interval, with the reference's retry and failure counts).
 * The session bytes are OpenSSL's DER form (Node's 'newSession' data, as the reference's
 * i2d_SSL_SESSION), so nghttpx instances of either kind share one cache.
 */
import crypto = require('crypto');
import fs = require('fs');
import type * as tls from 'tls';
import { UsageError } from '../common/units';
import type { LogLevel, NghttpxOptions } from './config';
import { MemcachedClient, MemcachedNetworkError, parseMemcachedAddress } from './memcached';
import { keyFileLayout, parseKeyBytes, SESSION_TIMEOUT_S, TicketKey, TicketKeyRing } from './ticket-keys';

/** Where a session lives in memcached: the prefix and the session ID in lowercase hex. */
export const SESSION_KEY_PREFIX = 'nghttpx:tls-session-cache:';
/** The memcached entry holding the ticket keys. */
export const TICKET_KEY_ENTRY = 'nghttpx:tls-ticket-key';

type Log = (level: LogLevel, msg: string) => void;

function readOptional(path: string | undefined, what: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return fs.readFileSync(path);
  } catch (err) {
    throw new UsageError(`${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A client for one of the two memcached options (the address, family and client key pair of that option). */
function clientFor(
  o: NghttpxOptions,
  option: string,
  value: string,
  family: string,
  certFile: string | undefined,
  keyFile: string | undefined,
): MemcachedClient {
  const address = parseMemcachedAddress(value, option);
  return new MemcachedClient({
    address,
    family,
    cert: address.tls ? readOptional(certFile, `${option}-cert-file`) : undefined,
    key: address.tls ? readOptional(keyFile, `${option}-private-key-file`) : undefined,
    ca: address.tls ? readOptional(o.cacert, 'cacert') : undefined,
    insecure: o.insecure,
  });
}

/** How many sessions the in-process cache keeps (OpenSSL's SSL_SESSION_CACHE_MAX_SIZE_DEFAULT, the reference's). */
export const LOCAL_SESSIONS = 20480;

/**
 * Session ID resumption of one configuration's TLS frontends: sessions are kept in this process
 * (as the reference's OpenSSL internal cache, 12 hours, at most {@link LOCAL_SESSIONS}, oldest
 * dropped first) and, with `--tls-session-cache-memcached`, in memcached too, where a session
 * unknown here is looked up. Returns what to close with the configuration.
 */
export function startSessionCache(o: NghttpxOptions, servers: tls.Server[], log: Log): { close(): void } {
  const client = o.tlsSessionCacheMemcached
    ? clientFor(
        o,
        'tls-session-cache-memcached',
        o.tlsSessionCacheMemcached,
        o.tlsSessionCacheMemcachedAddressFamily,
        o.tlsSessionCacheMemcachedCertFile,
        o.tlsSessionCacheMemcachedPrivateKeyFile,
      )
    : undefined;
  const local = new Map<string, { data: Buffer; expires: number }>();
  const keyOf = (id: Buffer) => SESSION_KEY_PREFIX + id.toString('hex');
  for (const server of servers) {
    // Stored without holding the handshake up, as the reference (memcached's answer is not awaited).
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      const key = keyOf(id);
      if (local.size >= LOCAL_SESSIONS) local.delete(local.keys().next().value as string);
      local.set(key, { data, expires: Date.now() + SESSION_TIMEOUT_S * 1000 });
      client?.set(key, data, SESSION_TIMEOUT_S).catch((err: Error) => log('INFO', `Memcached: store failed: ${err.message}`));
      done();
    });
    // A miss, or an unreachable memcached, means a full handshake.
    server.on('resumeSession', (id: Buffer, cb: (err: Error | null, data: Buffer | null) => void) => {
      const key = keyOf(id);
      const hit = local.get(key);
      if (hit && hit.expires > Date.now()) return cb(null, hit.data);
      if (hit) local.delete(key);
      if (!client) return cb(null, null);
      client.get(key).then(
        (data) => cb(null, data ?? null),
        (err: Error) => {
          log('INFO', `Memcached: lookup failed: ${err.message}`);
          cb(null, null);
        },
      );
    });
  }
  return {
    close: () => {
      client?.close();
      local.clear();
    },
  };
}

/** What a `nghttpx:tls-ticket-key` entry held: the keys, or why it was refused. */
export type TicketEntry = { keys: TicketKey[] } | { error: string };

/**
 * Read a ticket key entry: a 4-byte version (1), then (2-byte length, key) pairs, each key
 * 48 bytes (aes-128-cbc) or 80 (aes-256-cbc) as `--tls-ticket-key-cipher` says; the first encrypts.
 */
export function parseTicketEntry(value: Buffer, cipher: string | undefined): TicketEntry {
  if (value.length < 4) return { error: `tls ticket key value is too small: got ${value.length}` };
  const version = value.readUInt32BE(0);
  if (version !== 1) return { error: `tls ticket key version: want 1, got ${version}` };
  const { length } = keyFileLayout(cipher);
  const keys: TicketKey[] = [];
  let p = 4;
  while (p < value.length) {
    if (value.length - p < 2) return { error: 'tls ticket key data is too small' };
    const len = value.readUInt16BE(p);
    p += 2;
    if (len !== length) return { error: `wrong tls ticket key size: want ${length}, got ${len}` };
    if (p + len > value.length) return { error: `too short tls ticket key payload: want ${len}, got ${value.length - p}` };
    keys.push(parseKeyBytes(value.subarray(p, p + len), cipher));
    p += len;
  }
  return { keys };
}

/** Build a ticket key entry (tests, and anyone writing keys for nghttpx). */
export function encodeTicketEntry(keys: Buffer[]): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(1);
  const parts: Buffer[] = [head];
  for (const k of keys) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(k.length);
    parts.push(len, k);
  }
  return Buffer.concat(parts);
}

/**
 * `--tls-ticket-key-memcached`: keep `ring` filled from memcached. Until the first read succeeds
 * the ring is empty (no tickets are issued). A network error is retried after a random 1..2^n s
 * (at most 60 s), up to `--tls-ticket-key-memcached-max-retry` times; then, or when the entry is
 * missing or malformed, the attempt counts as a failure, and `--tls-ticket-key-memcached-max-fail`
 * failures in a row empty the ring until a later read succeeds. The next read comes after
 * `--tls-ticket-key-memcached-interval`.
 */
export class MemcachedTicketKeys {
  private timer: NodeJS.Timeout | undefined;
  private retries = 0;
  private failures = 0;
  private stopped = false;
  private readonly client: MemcachedClient;

  constructor(
    private readonly o: NghttpxOptions,
    readonly ring: TicketKeyRing,
    private readonly log: Log,
    /** Randomness for the retry delay (injectable for specs). */
    private readonly random: (max: number) => number = (max) => crypto.randomInt(1, max + 1),
  ) {
    this.client = clientFor(
      o,
      'tls-ticket-key-memcached',
      o.tlsTicketKeyMemcached!,
      o.tlsTicketKeyMemcachedAddressFamily,
      o.tlsTicketKeyMemcachedCertFile,
      o.tlsTicketKeyMemcachedPrivateKeyFile,
    );
    ring.set([]);
    this.schedule(0);
  }

  /** Stop reading keys and close the connection. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.client.close();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.fetch(), ms);
    this.timer.unref();
  }

  private fetch(): void {
    this.client.get(TICKET_KEY_ENTRY).then(
      (value) => {
        if (this.stopped) return;
        if (!value) return this.notFound();
        const entry = parseTicketEntry(value, this.o.tlsTicketKeyCipher);
        if ('error' in entry) {
          this.log('WARN', `Memcached: ${entry.error}`);
          return this.notFound();
        }
        this.log('NOTICE', 'Memcached: tls ticket get success');
        this.retries = 0;
        this.failures = 0;
        this.ring.set(entry.keys);
        this.schedule(this.o.tlsTicketKeyMemcachedInterval);
      },
      (err: Error) => {
        if (this.stopped) return;
        if (!(err instanceof MemcachedNetworkError)) return this.notFound();
        if (++this.retries >= this.o.tlsTicketKeyMemcachedMaxRetry) {
          this.log('WARN', `Memcached: tls ticket get retry all failed ${this.retries} times.`);
          return this.notFound();
        }
        const s = this.random(Math.min(60, 2 ** this.retries));
        this.log('WARN', `Memcached: tls ticket get failed due to network error, retrying in ${s} seconds`);
        this.schedule(s * 1000);
      },
    );
  }

  private notFound(): void {
    this.retries = 0;
    if (++this.failures >= this.o.tlsTicketKeyMemcachedMaxFail) {
      this.log('WARN', 'Memcached: could not get tls ticket; disable tls ticket');
      this.failures = 0;
      this.ring.set([]);
    }
    this.log('WARN', 'Memcached: tls ticket get failed, schedule next');
    this.schedule(this.o.tlsTicketKeyMemcachedInterval);
  }
}
