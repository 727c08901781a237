/**
 * nghttpx's TLS session ticket keys: the ring (the first key encrypts new tickets, every key
 * decrypts), read from `--tls-ticket-key-file`s or generated and renewed every hour, and the hook
 * that makes OpenSSL use it. Node's public API holds one ticket key per context
 * (`setTicketKeys`); its SecureContext also has `enableTicketKeyCallback()` +
 * `onticketkeycallback(name, iv, enc)` (OpenSSL's SSL_CTX_set_tlsext_ticket_key_cb, kept for
 * Node's own test-https-resume-after-renew), which lets us pick the key by name as the reference
 * does. Node's callback fixes the ticket cipher at AES-128-CBC and the MAC at HMAC-SHA256.
 */
import crypto = require('crypto');
import fs = require('fs');
import type * as tls from 'tls';

/** One ticket key: the 16-byte name tickets carry, the AES key and the HMAC-SHA256 key. */
export interface TicketKey {
  name: Buffer;
  /** The encryption key as the file holds it (16 bytes for aes-128-cbc, 32 for aes-256-cbc). */
  encKey: Buffer;
  hmacKey: Buffer;
}

/** How long the reference keeps tickets valid (SSL_CTX_set_timeout; its --tls-session-timeout default). */
export const SESSION_TIMEOUT_S = 12 * 3600;
/** How often the reference makes a new key when no key file is given. */
export const RENEW_INTERVAL_MS = 3600_000;

/** The file layout of `--tls-ticket-key-file` per `--tls-ticket-key-cipher`: name | encryption key | HMAC key. */
export function keyFileLayout(cipher: string | undefined): { length: number; encLen: number; hmacLen: number } {
  // The reference: aes-128-cbc keeps a 16-byte HMAC key (the nginx/Apache file format); aes-256-cbc
  // uses EVP_MD_size(sha256) = 32.
  return cipher === 'aes-256-cbc' ? { length: 80, encLen: 32, hmacLen: 32 } : { length: 48, encLen: 16, hmacLen: 16 };
}

/** Split one key file's bytes (already checked for length). */
export function parseKeyBytes(b: Buffer, cipher: string | undefined): TicketKey {
  const { encLen, hmacLen } = keyFileLayout(cipher);
  return {
    name: Buffer.from(b.subarray(0, 16)),
    encKey: Buffer.from(b.subarray(16, 16 + encLen)),
    hmacKey: Buffer.from(b.subarray(16 + encLen, 16 + encLen + hmacLen)),
  };
}

/** A fresh random key, as the reference's generate_ticket_key (HMAC key of SHA-256's size). */
export function generateKey(cipher: string | undefined): TicketKey {
  const { encLen } = keyFileLayout(cipher);
  return { name: crypto.randomBytes(16), encKey: crypto.randomBytes(encLen), hmacKey: crypto.randomBytes(32) };
}

/** What reading the key files gave: the keys, or the reference's error line (then keys are generated). */
export type KeyFileResult = { keys: TicketKey[] } | { error: string };

/**
 * Read `--tls-ticket-key-file`s as the reference's read_tls_ticket_key_file: each file must hold
 * exactly 48 (aes-128-cbc) or 80 (aes-256-cbc) bytes; any failure discards every key.
 */
export function readKeyFiles(files: string[], cipher: string | undefined): KeyFileResult {
  const { length } = keyFileLayout(cipher);
  const keys: TicketKey[] = [];
  for (const f of files) {
    let b: Buffer;
    try {
      const st = fs.statSync(f);
      if (st.size !== length)
        return { error: `tls-ticket-key-file: the expected file size is ${length}, the actual file size is ${st.size}` };
      b = fs.readFileSync(f);
    } catch (err) {
      return { error: `tls-ticket-key-file: could not read file ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
    if (b.length !== length)
      return { error: `tls-ticket-key-file: want to read ${length} bytes but only read ${b.length} bytes from ${f}` };
    keys.push(parseKeyBytes(b, cipher));
  }
  return { keys };
}

/** The native SecureContext methods this module uses (Node internals; checked before use). */
interface NativeContext {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, enc: boolean) => unknown[];
  setTicketKeys?: (keys: Buffer) => void;
}

/** OpenSSL's ticket key callback results: 0 = unknown key (full handshake), 1 = use, 2 = use and issue a new ticket. */
const UNKNOWN = 0;
const USE = 1;
const RENEW = 2;
/** The placeholder parts of a "no ticket" answer. */
const NO_KEY = Buffer.alloc(16);

/**
 * The ticket keys of one nghttpx: `keys[0]` encrypts, all decrypt. Contexts installed with
 * {@link TicketKeyRing.install} see every later {@link TicketKeyRing.set} or rotation.
 */
export class TicketKeyRing {
  private keys: TicketKey[];
  private timer: NodeJS.Timeout | undefined;
  /** Whether every installed context took the per-name callback (false: Node lacks it; first key only). */
  callbackInstalled = true;

  constructor(
    keys: TicketKey[],
    private readonly cipher: string | undefined,
  ) {
    this.keys = keys.length ? keys : [generateKey(cipher)];
  }

  /** The keys, encryption key first. */
  get list(): readonly TicketKey[] {
    return this.keys;
  }

  /** Replace the keys (a worker process told by its supervisor, keys read from memcached); none: no tickets are issued. */
  set(keys: TicketKey[]): void {
    this.keys = keys;
  }

  /**
   * The reference's renew_ticket_key_cb: a new key encrypts from now on; the previous ones still
   * decrypt, as many as the session timeout has hours (12), so a ticket stays good as long as it says.
   */
  rotate(): void {
    const max = Math.max(1, Math.floor(SESSION_TIMEOUT_S / 3600));
    this.keys = [generateKey(this.cipher), ...this.keys].slice(0, max);
  }

  /** Rotate every hour (until {@link stop}); `onRotate` runs after each rotation. */
  startRenewing(onRotate: () => void, intervalMs = RENEW_INTERVAL_MS): void {
    this.stop();
    this.timer = setInterval(() => {
      this.rotate();
      onRotate();
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * The ticket key callback: encrypt with the first key (fresh IV), decrypt with the key the ticket
   * names. The reference answers "renew" for any key but the first, and always in TLSv1.3; Node's
   * callback is not told the protocol version, so every resumption gets a new ticket (TLSv1.3 as
   * the reference; TLSv1.2 one NewSessionTicket more than the reference after a first-key resumption).
   */
  callback(name: Buffer, iv: Buffer, enc: boolean): unknown[] {
    if (enc) {
      const k = this.keys[0];
      // No key (memcached has none for us): OpenSSL sends no ticket. Node still wants 16-byte parts.
      if (!k) return [UNKNOWN, NO_KEY, NO_KEY, NO_KEY, NO_KEY];
      return [USE, k.hmacKey, k.encKey.subarray(0, 16), k.name, crypto.randomBytes(16)];
    }
    const k = this.keys.find((key) => key.name.equals(name));
    // Node reads the keys even for "unknown": a dummy pair keeps it from failing the handshake.
    if (!k) return [UNKNOWN, iv, iv];
    return [RENEW, k.hmacKey, k.encKey.subarray(0, 16)];
  }

  /** Make `ctx` (a tls.createSecureContext() result or a server's `_sharedCreds`) use this ring. */
  install(ctx: tls.SecureContext): void {
    const native = (ctx as { context?: unknown }).context as NativeContext | undefined;
    if (native && typeof native.enableTicketKeyCallback === 'function') {
      native.enableTicketKeyCallback();
      native.onticketkeycallback = (name, iv, enc) => this.callback(name, iv, enc);
      return;
    }
    // Without the callback, Node keeps one key (name | HMAC | AES, 16 bytes each).
    this.callbackInstalled = false;
    const k = this.keys[0] ?? generateKey(this.cipher);
    native?.setTicketKeys?.(Buffer.concat([k.name, k.hmacKey.subarray(0, 16), k.encKey.subarray(0, 16)]));
  }
}

/** Keys as plain bytes (for the IPC message to worker processes). */
export function keysToWire(keys: readonly TicketKey[]): Buffer[] {
  return keys.map((k) => Buffer.concat([k.name, k.encKey, k.hmacKey]));
}

/** The inverse of {@link keysToWire}. */
export function keysFromWire(wire: Buffer[], cipher: string | undefined): TicketKey[] {
  const { encLen } = keyFileLayout(cipher);
  return wire.map((b) => {
    const buf = Buffer.from(b);
    return { name: buf.subarray(0, 16), encKey: buf.subarray(16, 16 + encLen), hmacKey: buf.subarray(16 + encLen) };
  });
}

/** The ring one configuration uses, and whether it is that configuration's own (to stop with it). */
export interface RingChoice {
  ring: TicketKeyRing;
  owned: boolean;
}

/**
 * The ticket keys of a configuration, as the reference's worker chooses them: the key files if
 * they all read (a WARN when `--tls-ticket-key-cipher` was not given), else (ERROR, then "Use
 * internal session ticket key generator") keys made here and renewed hourly, or `shared`, the
 * hourly keys a supervisor renews for all its workers.
 */
export function chooseTicketKeys(
  o: { tlsTicketKeyFiles: string[]; tlsTicketKeyCipher: string | undefined },
  shared: TicketKeyRing | undefined,
  log: (level: 'NOTICE' | 'WARN' | 'ERROR', msg: string) => void,
): RingChoice {
  const cipher = o.tlsTicketKeyCipher;
  if (cipher === 'aes-256-cbc')
    log(
      'WARN',
      "tls-ticket-key-cipher=aes-256-cbc: tickets are sealed with AES-128-CBC under the first 16 bytes of each encryption key (Node fixes the ticket cipher), so they do not interoperate with the reference's AES-256 tickets",
    );
  if (o.tlsTicketKeyFiles.length) {
    if (!cipher)
      log(
        'WARN',
        'It is strongly recommended to specify --tls-ticket-key-cipher=aes-128-cbc (or tls-ticket-key-cipher=aes-128-cbc in configuration file) when --tls-ticket-key-file is used for the smooth transition when the default value of --tls-ticket-key-cipher becomes aes-256-cbc',
      );
    const read = readKeyFiles(o.tlsTicketKeyFiles, cipher);
    if ('keys' in read) return { ring: new TicketKeyRing(read.keys, cipher), owned: true };
    log('ERROR', read.error);
    log('WARN', 'Use internal session ticket key generator');
  }
  if (shared) return { ring: shared, owned: false };
  return { ring: renewingRing(cipher, (m) => log('NOTICE', m)), owned: true };
}

/** A generated ring renewed every hour, logging each renewal as the reference ("Renew new ticket keys"). */
export function renewingRing(
  cipher: string | undefined,
  notice: (msg: string) => void,
  onRotate?: (ring: TicketKeyRing) => void,
): TicketKeyRing {
  const ring = new TicketKeyRing([], cipher);
  notice('Renew new ticket keys');
  ring.startRenewing(() => {
    notice('Renew new ticket keys');
    onRotate?.(ring);
  });
  return ring;
}
