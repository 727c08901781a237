/**
 * nghttpx's OCSP stapling: for each frontend certificate (the default one and every `--subcert`),
 * run `--fetch-ocsp-response-file <CERT>` (the reference's interface: the script prints the DER
 * OCSP response on stdout and exits 0), check the response (unless `--no-verify-ocsp`), and staple
 * it to handshakes that ask (status_request); again every `--ocsp-update-interval`. `--no-ocsp`
 * turns it off.
 */
import { execFile } from 'child_process';
import crypto = require('crypto');
import fs = require('fs');
import type * as tls from 'tls';
import { tls as loadTls } from '../../lazy';
import { parseOcspResponse } from './der';
import type { LogLevel, NghttpxOptions } from './options';
import { parseSubcert } from './tls';

/** One frontend certificate: its file (what the script gets), the certificate, and the chain after it in that file. */
interface StapledCert {
  file: string;
  cert: crypto.X509Certificate;
  chain: crypto.X509Certificate[];
}

/** Every certificate of a PEM text, in order. */
export function pemCertificates(pem: string): crypto.X509Certificate[] {
  const out: crypto.X509Certificate[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)) {
    try {
      out.push(new crypto.X509Certificate(m[0]));
    } catch {
      // not a certificate OpenSSL reads: skipped
    }
  }
  return out;
}

/** Signature algorithm OIDs (hex of the DER contents) -> hash (null: the key type implies it). */
const SIGNATURE_HASH: Record<string, string | null> = {
  '2a864886f70d010105': 'sha1',
  '2a864886f70d01010b': 'sha256',
  '2a864886f70d01010c': 'sha384',
  '2a864886f70d01010d': 'sha512',
  '2a8648ce3d0401': 'sha1',
  '2a8648ce3d040302': 'sha256',
  '2a8648ce3d040303': 'sha384',
  '2a8648ce3d040304': 'sha512',
  '2b6570': null,
  '2b6571': null,
};

/** id-kp-OCSPSigning. */
const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';

/** `child` was issued by `parent` (names match and the signature verifies). */
function issuedBy(child: crypto.X509Certificate, parent: crypto.X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/**
 * RFC 6960 section 4.2.2.2's checks, as OpenSSL's OCSP_basic_verify makes them for the reference:
 * the response is signed by a certificate it carries (or one of `chain`), that signer chains to a
 * `trusted` certificate, and it is the certificate's issuer or a responder that issuer delegated
 * (issued by it, with the id-kp-OCSPSigning extended key usage).
 */
export function ocspSignatureProblem(
  signed: NonNullable<ReturnType<typeof parseOcspResponse>['signed']>,
  cert: crypto.X509Certificate,
  chain: crypto.X509Certificate[],
  trusted: crypto.X509Certificate[],
): string | undefined {
  const hash = SIGNATURE_HASH[signed.algorithm];
  if (hash === undefined) return 'OCSP_basic_verify failed: unsupported signature algorithm';
  const carried = signed.certs.map((d) => new crypto.X509Certificate(d));
  const signer = [...carried, ...chain].find((c) => {
    try {
      return crypto.verify(hash, signed.tbs, c.publicKey, signed.signature);
    } catch {
      return false;
    }
  });
  if (!signer) return 'OCSP_basic_verify failed: signer certificate not found';
  const pool = [...carried, ...chain];
  const isTrusted = (c: crypto.X509Certificate, depth: number): boolean =>
    trusted.some((t) => t.raw.equals(c.raw) || issuedBy(c, t)) ||
    (depth > 0 && pool.some((p) => p !== c && issuedBy(c, p) && isTrusted(p, depth - 1)));
  if (!isTrusted(signer, 3)) return 'OCSP_basic_verify failed: certificate verify error';
  const issuer = [...pool, ...trusted].find((c) => issuedBy(cert, c));
  if (!issuer) return "OCSP_basic_verify failed: the certificate's issuer is unknown";
  if (!signer.raw.equals(issuer.raw) && !(issuedBy(signer, issuer) && (signer.keyUsage ?? []).includes(OCSP_SIGNING)))
    return 'OCSP_basic_verify failed: the signer is neither the issuer nor a responder it delegated';
  return undefined;
}

/** The script may take this long (ms) before it counts as failed. */
const FETCH_TIMEOUT = 60000;

/**
 * Why a fetched response may not be stapled for `cert`, or undefined when it may. As the
 * reference's verify_ocsp_response: the response must be successful and basic, signed by a
 * trusted responder for this certificate (see {@link ocspSignatureProblem}), and its first
 * SingleResponse must name this certificate's serial number.
 */
export function ocspProblem(
  der: Buffer,
  cert: crypto.X509Certificate,
  chain: crypto.X509Certificate[] = [],
  trusted: crypto.X509Certificate[] = [],
): string | undefined {
  let parsed: ReturnType<typeof parseOcspResponse>;
  try {
    parsed = parseOcspResponse(der);
  } catch (err) {
    return `d2i_OCSP_RESPONSE failed (${(err as Error).message})`;
  }
  if (parsed.status !== 0) return 'OCSP response status is not successful';
  const bad = parsed.signed && ocspSignatureProblem(parsed.signed, cert, chain, trusted);
  if (bad) return bad;
  const first = parsed.single[0];
  if (!first) return 'OCSP response verification failed: no single response';
  const serial = cert.serialNumber.toLowerCase().replace(/^0+(?=.)/, '');
  if (first.serial !== serial) return 'OCSP verification serial numbers do not match';
  return undefined;
}

/** The running stapler of one engine. */
export interface OcspStapler {
  /** Settles once every certificate had its first attempt (`--ocsp-startup` waits for it). */
  readonly ready: Promise<void>;
  /** Stop the updates (and any script still running). */
  stop(): void;
}

/**
 * Start stapling for the TLS frontend `servers`: undefined with `--no-ocsp`, without TLS
 * frontends, or when the script is missing (a warning says so, as the reference).
 */
export function startOcsp(
  o: NghttpxOptions,
  servers: tls.Server[],
  log: (level: LogLevel, where: string, msg: string) => void,
): OcspStapler | undefined {
  if (o.noOcsp || servers.length === 0 || !o.certificateFile) return undefined;
  if (!fs.existsSync(o.fetchOcspResponseFile)) {
    log('WARN', 'ocsp.ts', `--fetch-ocsp-response-file: ${o.fetchOcspResponseFile} not found.  OCSP stapling has been disabled.`);
    return undefined;
  }
  const certs: StapledCert[] = [];
  for (const file of [o.certificateFile, ...o.subcerts.map((v) => parseSubcert(v).certPath)]) {
    let all: crypto.X509Certificate[] = [];
    try {
      all = pemCertificates(fs.readFileSync(file, 'latin1'));
    } catch {
      // The TLS set-up already refused unreadable certificates; nothing to staple for this one.
    }
    if (all.length) certs.push({ file, cert: all[0], chain: all.slice(1) });
  }
  // "--cacert ... is also used to verify OCSP response"; the system's roots are trusted as well.
  // Read when the first response is checked.
  let trustedList: crypto.X509Certificate[] | undefined;
  const trusted = () =>
    (trustedList ??= [
      ...(o.cacert ? pemCertificates(fs.readFileSync(o.cacert, 'latin1')) : []),
      ...pemCertificates(loadTls().rootCertificates.join('\n')),
    ]);
  /** DER (base64) of a certificate -> its current response. */
  const responses = new Map<string, Buffer>();
  const onRequest = (certificate: Buffer, _issuer: Buffer, cb: (err: Error | null, resp: Buffer | null) => void) =>
    cb(null, responses.get(certificate.toString('base64')) ?? null);
  for (const s of servers) s.on('OCSPRequest', onRequest);

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: import('child_process').ChildProcess | undefined;
  const fetchOne = (c: StapledCert) =>
    new Promise<void>((resolve) => {
      running = execFile(
        o.fetchOcspResponseFile,
        [c.file],
        { encoding: 'buffer', timeout: FETCH_TIMEOUT, maxBuffer: 1 << 20 },
        (err, stdout, stderr) => {
          running = undefined;
          if (stopped) return resolve();
          const said = stderr.toString().trim();
          if (err) {
            const status = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
            log('WARN', 'ocsp.ts', `ocsp query command for ${c.file} failed: status=${status}${said ? `: ${said.split('\n').pop()}` : ''}`);
            return resolve();
          }
          const problem = o.noVerifyOcsp ? undefined : ocspProblem(stdout, c.cert, c.chain, trusted());
          if (problem) log('ERROR', 'ocsp.ts', `${problem} (${c.file})`);
          else {
            responses.set(Buffer.from(c.cert.raw).toString('base64'), stdout);
            log('INFO', 'ocsp.ts', `ocsp update for ${c.file} finished successfully`);
          }
          resolve();
        },
      );
    });
  const round = async () => {
    for (const c of certs) {
      if (stopped) return;
      await fetchOne(c);
    }
    if (!stopped) {
      timer = setTimeout(() => void round(), o.ocspUpdateInterval);
      timer.unref();
    }
  };
  const ready = round();
  return {
    ready,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      running?.kill();
      for (const s of servers) s.off('OCSPRequest', onRequest);
    },
  };
}
