/**
 * Where nghttpx's TLS contexts are built: the frontend's server options (default certificate,
 * `--subcert` picked by SNI, ciphers, curves, protocol versions, client verification, session
 * ticket keys, key password) and each TLS backend's client options (verification, SNI, client
 * certificate, client ciphers). The TLS options of the configuration land here and nowhere else.
 * Also what the access log's `$tls_*` variables read from a frontend TLS connection.
 */
import crypto = require('crypto');
import fs = require('fs');
import tls = require('tls');
import { cipherList } from '../common/tls-suites';
import { sessionIdOf } from './der';
import { UsageError } from '../common/units';
import type { BackendAddress, NghttpxOptions } from './options';
import { SESSION_TIMEOUT_S, TicketKeyRing } from './ticket-keys';

/** The client side of a TLS backend connection (h2 or HTTP/1.1 over TLS). */
export interface BackendTlsOptions {
  rejectUnauthorized: boolean;
  /** SNI: `sni=` of the backend, else its host (none for an IP address). */
  servername: string | undefined;
  /** `--cacert`: trusted CA certificates (PEM) instead of the system's. */
  ca?: Buffer;
  /** `--client-cert-file` / `--client-private-key-file`: our certificate for backends that ask. */
  cert?: Buffer;
  key?: Buffer;
  /** `--client-ciphers` + `--tls13-client-ciphers`, `--tls-min/max-proto-version`. */
  ciphers?: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  /** `--client-psk-secrets`: the first identity and secret of the file, offered when a PSK suite is chosen. */
  psk?: { identity: string; psk: Buffer };
  /** `--client-no-http2-cipher-block-list`: h2 backends may use a block-listed suite (refused by default). */
  allowHttp2BlockedCiphers?: boolean;
}

function readFile(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    throw new UsageError(`${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * The reference's `--private-key-passwd-file`: the password is the file's first line. As the
 * reference, a file its owner cannot use, or that its group or others can, is refused ("has
 * insecure mode"): a password readable by others protects nothing.
 */
function passphrase(o: NghttpxOptions): string | undefined {
  const file = o.privateKeyPasswdFile;
  if (!file) return undefined;
  const mode = fs.existsSync(file) ? fs.statSync(file).mode : 0o600;
  if ((mode & 0o700) === 0 || (mode & 0o077) !== 0) {
    throw new UsageError(`private-key-passwd-file: Private key passwd file ${file} has insecure mode (${(mode & 0o777).toString(8)})`);
  }
  return readFile(file, 'private-key-passwd-file').toString('utf8').split(/\r?\n/)[0];
}

/** DNS names a certificate serves: its subjectAltName DNS entries, else its subject CN. */
export function certificateNames(pem: Buffer): string[] {
  let x: crypto.X509Certificate;
  try {
    x = new crypto.X509Certificate(pem);
  } catch {
    return [];
  }
  const san = (x.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  if (san.length) return san;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** Pick the context for an SNI name: an exact name first, then a `*.` wildcard of the first label. */
export function pickBySni<T>(byName: Map<string, T>, servername: string): T | undefined {
  const n = servername.toLowerCase();
  const exact = byName.get(n);
  if (exact !== undefined) return exact;
  const dot = n.indexOf('.');
  return dot > 0 ? byName.get(`*${n.slice(dot)}`) : undefined;
}

/**
 * `sni-fwd`: whether the SNI name `servername` is one nghttpx routes by. nghttpx keeps a client's
 * SNI only once its certificate lookup found a frontend certificate (the default one or a
 * `--subcert`) serving that name, exactly or by wildcard; with any other name (or none) the route
 * is chosen with an empty host, not the request's (Debian's nghttpx 1.52 does so).
 */
export function sniRoutable(o: NghttpxOptions): (servername: string) => boolean {
  const names = new Map<string, true>();
  const files = [o.certificateFile, ...o.subcerts.map((v) => parseSubcert(v).certPath)];
  for (const f of files) {
    if (!f) continue;
    try {
      for (const n of certificateNames(fs.readFileSync(f))) names.set(n, true);
    } catch {
      // Unreadable files were reported when the TLS context was built.
    }
  }
  return (servername) => pickBySni(names, servername) !== undefined;
}

/** `--subcert=<KEYPATH>:<CERTPATH>[;<PARAM>...]`: the key and certificate paths. */
export function parseSubcert(v: string): { keyPath: string; certPath: string } {
  const spec = v.split(';')[0];
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) throw new UsageError(`subcert: expected <KEYPATH>:<CERTPATH>, got '${v}'`);
  return { keyPath: spec.slice(0, colon), certPath: spec.slice(colon + 1) };
}

/**
 * A `--psk-secrets` / `--client-psk-secrets` file: `<identity>:<hex-secret>` per line; empty lines
 * and lines starting with '#' are skipped (the reference's format). A bad line is a usage error.
 */
export function readPskSecrets(file: string, what: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const lines = readFile(file, what).toString('utf8').split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const hex = colon > 0 ? line.slice(colon + 1) : '';
    if (colon <= 0 || hex === '' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex))
      throw new UsageError(`${what}: ${file}:${i + 1}: expected <identity>:<hex-secret>`);
    out.set(line.slice(0, colon), Buffer.from(hex, 'hex'));
  });
  return out;
}

/** The reference's SSL_CTX_set_session_id_context(ssl_ctx, "shrpx"). */
const SESSION_ID_CONTEXT = 'shrpx';

/**
 * A context picked by SNI gets what tls.createServer gives its own: the session ID context and
 * timeout (tls.createSecureContext takes neither), and the ticket keys.
 */
function sessionSettings(ctx: tls.SecureContext, tickets: TicketKeyRing | undefined): void {
  const native = (ctx as { context?: unknown }).context as
    | { setSessionIdContext?(s: string): void; setSessionTimeout?(n: number): void }
    | undefined;
  native?.setSessionIdContext?.(SESSION_ID_CONTEXT);
  native?.setSessionTimeout?.(SESSION_TIMEOUT_S);
  tickets?.install(ctx);
}

/** tls.createServer options of the TLS frontends (undefined when every frontend is `no-tls`). */
export function frontendTlsOptions(o: NghttpxOptions, tickets?: TicketKeyRing): tls.TlsOptions | undefined {
  if (!o.frontends.some((f) => !f.noTls)) return undefined;
  const pass = passphrase(o);
  const common: tls.SecureContextOptions = {
    passphrase: pass,
    ciphers: cipherList(o.ciphers, o.tls13Ciphers),
    ecdhCurve: o.ecdhCurves,
    minVersion: o.tlsMinProtoVersion as tls.SecureVersion,
    maxVersion: o.tlsMaxProtoVersion as tls.SecureVersion,
    // --dh-param-file: "Without this option, DHE cipher suites are not available" (as Node's default).
    dhparam: o.dhParamFile ? readFile(o.dhParamFile, 'dh-param-file') : undefined,
    // The CAs client certificates are checked against (sent to the client as acceptable CAs).
    ca: o.verifyClient && o.verifyClientCacert ? readFile(o.verifyClientCacert, 'verify-client-cacert') : undefined,
  };
  const psk = o.pskSecrets ? readPskSecrets(o.pskSecrets, 'psk-secrets') : undefined;
  const key = readFile(o.privateKeyFile!, 'private key');
  const cert = readFile(o.certificateFile!, 'certificate');
  const opts: tls.TlsOptions = {
    ...common,
    key,
    cert,
    // As the reference: tickets (and cached sessions) live 12 hours (SSL_CTX_set_timeout), and
    // the session ID context is "shrpx", so a session from another nghttpx sharing the key file
    // (or from the C nghttpx) resumes here.
    sessionTimeout: SESSION_TIMEOUT_S,
    sessionIdContext: SESSION_ID_CONTEXT,
    // --npn-list: the ALPN protocols offered, most wanted first (the server's order decides).
    ALPNProtocols: o.npnList.split(','),
  };
  // --psk-secrets: TLSv1.2 PSK suites (enabled by --ciphers) look the client's identity up.
  if (psk) opts.pskCallback = (_socket, identity) => psk.get(identity) ?? null;
  if (o.verifyClient) {
    // RFC 8446 section 4.3.2 CertificateRequest; without a valid certificate the handshake fails,
    // unless --verify-client-tolerate-expired lets an expired one through (see frontendTlsCheck).
    opts.requestCert = true;
    opts.rejectUnauthorized = !o.verifyClientTolerateExpired;
  }
  try {
    tls.createSecureContext(opts);
  } catch (err) {
    throw new UsageError(`TLS: the private key or certificate cannot be used: ${(err as Error).message}`);
  }
  if (o.subcerts.length) {
    const byName = new Map<string, tls.SecureContext>();
    const add = (names: string[], ctx: tls.SecureContext) => {
      for (const n of names) if (!byName.has(n)) byName.set(n, ctx);
    };
    const main = tls.createSecureContext(opts);
    sessionSettings(main, tickets);
    add(certificateNames(cert), main);
    for (const v of o.subcerts) {
      const { keyPath, certPath } = parseSubcert(v);
      const sub = { ...common, key: readFile(keyPath, 'subcert'), cert: readFile(certPath, 'subcert') };
      let ctx: tls.SecureContext;
      try {
        ctx = tls.createSecureContext(sub);
      } catch (err) {
        throw new UsageError(`subcert: ${v}: ${(err as Error).message}`);
      }
      sessionSettings(ctx, tickets);
      add(certificateNames(sub.cert), ctx);
    }
    // SNI picks the certificate; an unknown or absent name gets the default one.
    opts.SNICallback = (servername, cb) => cb(null, pickBySni(byName, servername));
  }
  return opts;
}

/**
 * RFC 9113 section 9.2.2: "Implementations SHOULD NOT generate this error in reaction to the
 * negotiation of a TLS 1.3 cipher suite" and, for TLS 1.2, the suites of RFC 7540 Appendix A
 * (those without an ephemeral key exchange or without AEAD, and anything older than TLS 1.2)
 * may be treated as INADEQUATE_SECURITY. The rule below is that list's: ECDHE or DHE key
 * exchange with GCM, CCM or ChaCha20-Poly1305 passes.
 */
export function http2CipherBlocked(protocol: string | null, standardName: string | undefined): boolean {
  if (protocol === 'TLSv1.3') return false;
  if (protocol !== 'TLSv1.2' || !standardName) return true;
  const ephemeral = /^TLS_(ECDHE|DHE)_/.test(standardName);
  const aead = /_GCM_|_CCM|CHACHA20_POLY1305/.test(standardName);
  return !(ephemeral && aead);
}

/**
 * Post-handshake checks of a frontend TLS connection: an h2 connection over a block-listed cipher
 * suite is closed with nothing sent, as the reference does ("The negotiated cipher suite is in
 * HTTP/2 cipher suite block list. HTTP/2 must not be used."), unless --no-http2-cipher-block-list;
 * with --verify-client-tolerate-expired the handshake accepts any certificate, and only a verified
 * or merely expired one may stay.
 */
export function frontendTlsCheck(o: NghttpxOptions): ((socket: tls.TLSSocket) => boolean) | undefined {
  const checkCipher = !o.noHttp2CipherBlockList;
  const checkExpired = o.verifyClient && o.verifyClientTolerateExpired;
  if (!checkCipher && !checkExpired) return undefined;
  return (socket) => {
    if (checkCipher && socket.alpnProtocol === 'h2' && http2CipherBlocked(socket.getProtocol(), socket.getCipher()?.standardName))
      return false;
    if (!checkExpired || socket.authorized) return true;
    const e = String(socket.authorizationError ?? '');
    return e === 'CERT_HAS_EXPIRED' && Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
  };
}

/** TLS client options for one backend address. */
export function backendTlsOptions(o: NghttpxOptions, a: BackendAddress): BackendTlsOptions {
  const out: BackendTlsOptions = {
    rejectUnauthorized: !o.insecure,
    servername: a.sni ?? o.backendTlsSniField ?? (a.host && !/^[\d.]+$|:/.test(a.host) ? a.host : undefined),
    ca: o.cacert ? readFile(o.cacert, 'cacert') : undefined,
    ciphers: cipherList(o.clientCiphers, o.tls13ClientCiphers),
    minVersion: o.tlsMinProtoVersion as tls.SecureVersion,
    maxVersion: o.tlsMaxProtoVersion as tls.SecureVersion,
    allowHttp2BlockedCiphers: o.clientNoHttp2CipherBlockList,
  };
  if (o.clientPskSecrets) {
    // "The first identity and secret pair encountered is used."
    const first = readPskSecrets(o.clientPskSecrets, 'client-psk-secrets').entries().next();
    if (first.done) throw new UsageError(`client-psk-secrets: ${o.clientPskSecrets}: no <identity>:<hex-secret> line`);
    out.psk = { identity: first.value[0], psk: first.value[1] };
  }
  if (o.clientCertFile || o.clientPrivateKeyFile) {
    if (!o.clientCertFile || !o.clientPrivateKeyFile) throw new UsageError('client-cert-file and client-private-key-file go together');
    out.cert = readFile(o.clientCertFile, 'client-cert-file');
    out.key = readFile(o.clientPrivateKeyFile, 'client-private-key-file');
  }
  return out;
}

/**
 * The tls.connect options every TLS backend connection shares (h2, HTTP/1.1, CONNECT tunnels);
 * the caller adds where to connect, SNI and ALPN.
 */
export function backendTlsConnectOptions(t: BackendTlsOptions): tls.ConnectionOptions {
  const out: tls.ConnectionOptions = {
    rejectUnauthorized: t.rejectUnauthorized,
    ca: t.ca,
    cert: t.cert,
    key: t.key,
    ciphers: t.ciphers,
    minVersion: t.minVersion,
    maxVersion: t.maxVersion,
  };
  const psk = t.psk;
  if (psk) {
    // --client-psk-secrets: a PSK suite (enabled by --client-ciphers) authenticates the backend
    // without a certificate; as the reference (check_cert: "authentication without certificate
    // is used, such as PSK"), a backend that sends none passes, one that sends one is checked.
    out.pskCallback = () => psk;
    out.checkServerIdentity = (host, cert) => (cert && Object.keys(cert).length > 0 ? tls.checkServerIdentity(host, cert) : undefined);
  }
  return out;
}

/**
 * The reference's check on a new h2 backend connection: a TLS 1.2 suite on RFC 7540 Appendix A's
 * block list fails it ("The negotiated cipher suite is in HTTP/2 cipher suite block list. HTTP/2
 * must not be used.") unless --client-no-http2-cipher-block-list. Undefined when it may be used.
 */
export function backendCipherRefused(
  t: BackendTlsOptions,
  protocol: string | null,
  cipher: { standardName?: string; name?: string } | undefined,
): Error | undefined {
  if (t.allowHttp2BlockedCiphers || !http2CipherBlocked(protocol, cipher?.standardName)) return undefined;
  return new Error(`the negotiated cipher suite ${cipher?.name ?? '?'} (${protocol}) is on the HTTP/2 block list`);
}

/** What the access log's `$tls_*` variables show for one frontend connection. */
export interface TlsLogInfo {
  protocol: string;
  cipher: string;
  sessionReused: boolean;
  /** The TLS session ID in hex (`-` when the session has none, e.g. TLSv1.2 with a ticket). */
  sessionId: string;
  sni: string;
  clientFingerprintSha256: string;
  clientFingerprintSha1: string;
  clientSubjectName: string;
  clientIssuerName: string;
  clientSerial: string;
}

const cache = new WeakMap<tls.TLSSocket, TlsLogInfo>();

/** RFC 2253 order (most specific last in the certificate, first here), comma-joined as the reference prints. */
function dn(text: string | undefined): string {
  if (!text) return '-';
  return text.split('\n').filter(Boolean).reverse().join(',');
}

/** `$tls_session_id`: the ID inside the session OpenSSL serialises for the socket. */
function sessionIdHex(socket: tls.TLSSocket): string {
  try {
    const s = socket.getSession();
    const id = s ? sessionIdOf(s) : undefined;
    return id?.length ? id.toString('hex') : '-';
  } catch {
    return '-';
  }
}

/** The `$tls_*` values of a TLS socket (computed once per connection). */
export function tlsLogInfo(socket: tls.TLSSocket): TlsLogInfo {
  let info = cache.get(socket);
  if (info) return info;
  const peer = socket.getPeerX509Certificate?.();
  const hex = (colons: string | undefined) => (colons ? colons.replace(/:/g, '').toLowerCase() : '-');
  info = {
    protocol: socket.getProtocol() ?? '-',
    cipher: socket.getCipher()?.name ?? '-',
    sessionReused: socket.isSessionReused(),
    sessionId: sessionIdHex(socket),
    sni: (socket as tls.TLSSocket & { servername?: string | false }).servername || '-',
    clientFingerprintSha256: hex(peer?.fingerprint256),
    clientFingerprintSha1: hex(peer?.fingerprint),
    clientSubjectName: dn(peer?.subject),
    clientIssuerName: dn(peer?.issuer),
    clientSerial: peer ? peer.serialNumber.toLowerCase() : '-',
  };
  cache.set(socket, info);
  return info;
}
