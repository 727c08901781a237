/**
 * Loading a private key and a certificate named on a command line or in a config file, with
 * errors a user can act on: which path is missing or a directory, which file holds no key or no
 * certificate (and whether the two look swapped), an encrypted key, a key that does not belong
 * to the certificate. Every tool that serves or presents TLS loads its files here.
 */
import fs = require('fs');
import { crypto, tls } from '../../lazy';
import { ToolError } from './cli';

/** What the key and certificate are called in messages (`<PRIVATE_KEY>`, `--private-key-file`...). */
export interface TlsFileLabels {
  key?: string;
  cert?: string;
}

/** The PEM contents of a key/certificate pair, checked to belong together. */
export interface KeyCertPair {
  key: Buffer;
  cert: Buffer;
}

const PEM_KEY = /-----BEGIN (?:[A-Z0-9 ]+ )?PRIVATE KEY-----/;
const PEM_ENCRYPTED = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;
const PEM_CERT = /-----BEGIN (?:TRUSTED )?CERTIFICATE-----/;

/** Read a file the user named; a missing path, a directory or an unreadable file throws ToolError naming it. */
export function readUserFile(file: string, label: string): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ToolError(
      code === 'ENOENT' ? `${label}: '${file}' does not exist` : `${label}: cannot read '${file}': ${code ?? (e as Error).message}`,
    );
  }
  if (st.isDirectory()) throw new ToolError(`${label}: '${file}' is a directory, not a file`);
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new ToolError(`${label}: cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** What a PEM file holds, as far as the two questions asked here go. */
function holds(pem: Buffer): { key: boolean; cert: boolean; encrypted: boolean } {
  const text = pem.toString('latin1');
  return { key: PEM_KEY.test(text), cert: PEM_CERT.test(text), encrypted: PEM_ENCRYPTED.test(text) };
}

/** OpenSSL's code (through Node) for a private key that does not belong to the certificate. */
const KEY_VALUES_MISMATCH = 'ERR_OSSL_X509_KEY_VALUES_MISMATCH';

/**
 * Read and check a private key and a certificate chain (PEM). Throws ToolError with one line
 * saying what is wrong and with which path; on success the pair is known to load into a TLS
 * context (so the server does not fail later, on its first handshake).
 */
export function loadKeyAndCert(keyFile: string, certFile: string, labels: TlsFileLabels = {}): KeyCertPair {
  const keyLabel = labels.key ?? 'private key';
  const certLabel = labels.cert ?? 'certificate';
  const key = readUserFile(keyFile, keyLabel);
  const cert = readUserFile(certFile, certLabel);
  const k = holds(key);
  const c = holds(cert);
  if (!k.key && k.cert && c.key && !c.cert) {
    throw new ToolError(
      `${keyLabel} '${keyFile}' holds a certificate and ${certLabel} '${certFile}' holds a private key: they look swapped (the key comes first)`,
    );
  }
  if (!k.key) {
    const what = k.cert ? 'a certificate, not a private key' : 'no PEM private key (-----BEGIN PRIVATE KEY-----)';
    throw new ToolError(`${keyLabel}: '${keyFile}' holds ${what}`);
  }
  if (!c.cert) {
    const what = c.key ? 'a private key, not a certificate' : 'no PEM certificate (-----BEGIN CERTIFICATE-----)';
    throw new ToolError(`${certLabel}: '${certFile}' holds ${what}`);
  }
  if (k.encrypted)
    throw new ToolError(`${keyLabel}: '${keyFile}' is encrypted; give an unencrypted key (e.g. openssl pkey -in KEY -out PLAIN)`);
  try {
    tls().createSecureContext({ key, cert });
    // OpenSSL takes a key that does not match the certificate here and fails on the first
    // handshake instead; compare the public halves now.
    const fromKey = crypto().createPublicKey(key).export({ type: 'spki', format: 'der' });
    const fromCert = new (crypto().X509Certificate)(cert).publicKey.export({ type: 'spki', format: 'der' });
    if (!fromKey.equals(fromCert)) throw Object.assign(new Error('key values mismatch'), { code: KEY_VALUES_MISMATCH });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { reason?: string };
    if (err.code === KEY_VALUES_MISMATCH) {
      throw new ToolError(`${keyLabel} '${keyFile}' does not belong to ${certLabel} '${certFile}' (key values mismatch)`);
    }
    throw new ToolError(`${keyLabel} '${keyFile}' / ${certLabel} '${certFile}': ${err.reason ?? err.message}`);
  }
  return { key, cert };
}

/**
 * Where a tool's launcher (bin/TOOL's `#!` line) moves NODE_EXTRA_CA_CERTS: Node parses that file
 * at start-up of every process, before any JavaScript runs (Debian's bundle of ~140 certificates:
 * ~0.05 CPU-s, most of a bare `node -e 0` under valgrind), though a plain-TCP run never verifies a
 * certificate. Moved, it is read by {@link deferredCaList} when the first TLS connection needs it.
 */
export const DEFERRED_EXTRA_CA_ENV = 'NGHTTP2_TS_EXTRA_CA_CERTS';

let deferredCa: string[] | null | undefined;

/**
 * The certificates a verifying TLS client trusts when the launcher deferred NODE_EXTRA_CA_CERTS:
 * Node's root certificates plus that file's, as Node would have trusted them; undefined (Node's
 * default store) when nothing was deferred. A file that cannot be read is ignored with the warning
 * Node prints for it.
 */
export function deferredCaList(): string[] | undefined {
  if (deferredCa === undefined) {
    const file = process.env[DEFERRED_EXTRA_CA_ENV];
    deferredCa = null;
    if (file) {
      try {
        deferredCa = [...tls().rootCertificates, fs.readFileSync(file, 'latin1')];
      } catch (e) {
        process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(e as Error).message}`);
      }
    }
  }
  return deferredCa ?? undefined;
}
