/**
 * Cipher suites and key exchange groups as nghttp2's tools take them (`--ciphers` for TLSv1.2 and
 * older, `--tls13-ciphers` for TLSv1.3, `--groups` / `--ecdh-curves`), turned into what Node's
 * TLS contexts take, and checked before use so that a bad list is one clear line.
 */
import { tls as loadTls } from '../../lazy';
import { UsageError } from './units';

/**
 * OpenSSL's cipher string as Node takes it: the TLSv1.3 suites (names starting `TLS_`) and the
 * older ones in one list. Node switches TLSv1.3 off when the list has no TLSv1.3 suite, and
 * TLSv1.2 off when it has nothing else, so callers pass both halves.
 */
export function cipherList(tls12: string, tls13: string): string {
  return [tls13, tls12].filter((s) => s.length > 0).join(':');
}

/** The suites and groups of a TLS client or server; each undefined = Node's own default. */
export interface TlsSuites {
  /** `--ciphers`: OpenSSL cipher list for TLSv1.2 and older. */
  ciphers?: string;
  /** `--tls13-ciphers`: TLSv1.3 suites. */
  tls13Ciphers?: string;
  /** `--groups`: colon-separated key exchange groups (Node's `ecdhCurve`). */
  groups?: string;
}

/** The tls.connect / createSecureContext options for `s`, with `defaults` for the lists not given. */
export function suiteOptions(s: TlsSuites, defaults: Required<TlsSuites>): { ciphers: string; ecdhCurve: string } {
  return {
    ciphers: cipherList(s.ciphers ?? defaults.ciphers, s.tls13Ciphers ?? defaults.tls13Ciphers),
    ecdhCurve: s.groups ?? defaults.groups,
  };
}

/**
 * Throw a UsageError naming the option when OpenSSL refuses a list (no cipher matches, unknown
 * group). `labels` are the options as the user wrote them.
 */
export function checkSuites(s: TlsSuites, labels: { ciphers: string; tls13Ciphers: string; groups: string }): void {
  const tls = loadTls();
  const tryContext = (opts: { ciphers?: string; ecdhCurve?: string }, label: string, value: string) => {
    try {
      tls.createSecureContext(opts);
    } catch (err) {
      throw new UsageError(`${label}: OpenSSL refused '${value}' (${(err as Error).message})`);
    }
  };
  if (s.ciphers !== undefined) {
    if (s.ciphers === '' || s.ciphers.split(':').some((c) => c.startsWith('TLS_')))
      throw new UsageError(`${labels.ciphers}: '${s.ciphers}' is not a TLSv1.2 cipher list (TLSv1.3 suites go in --tls13-ciphers)`);
    tryContext({ ciphers: s.ciphers }, labels.ciphers, s.ciphers);
  }
  if (s.tls13Ciphers !== undefined) {
    if (s.tls13Ciphers === '' || s.tls13Ciphers.split(':').some((c) => !c.startsWith('TLS_')))
      throw new UsageError(`${labels.tls13Ciphers}: '${s.tls13Ciphers}' is not a list of TLSv1.3 suites (TLS_...)`);
    tryContext({ ciphers: s.tls13Ciphers }, labels.tls13Ciphers, s.tls13Ciphers);
  }
  if (s.groups !== undefined) tryContext({ ecdhCurve: s.groups }, labels.groups, s.groups);
}

const contexts = new Map<string, import('tls').SecureContext>();

/**
 * One SecureContext per distinct set of lists (made once and shared by every connection of a
 * run, as a C client shares its SSL_CTX): `s` over the tool's `defaults`.
 */
export function suitesContext(s: TlsSuites, defaults: Required<TlsSuites>): import('tls').SecureContext {
  const opts = suiteOptions(s, defaults);
  const key = `${opts.ciphers}\n${opts.ecdhCurve}`;
  let ctx = contexts.get(key);
  if (!ctx) contexts.set(key, (ctx = loadTls().createSecureContext(opts)));
  return ctx;
}
