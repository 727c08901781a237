/** The messages nghttp prints for connection failures a user can act on. */

/** OpenSSL's wording for Node's verification codes, as the reference prints them. */
const VERIFY_TEXT: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname mismatch',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
};

/** The text for a certificate verification failure. */
export function verifyErrorText(code: string | undefined): string {
  if (!code) return 'unknown error';
  return VERIFY_TEXT[code] ?? code;
}

/** A connect/TLS failure as one line naming the address and what to try. */
export function describeConnectError(err: NodeJS.ErrnoException, host: string, port: number): string {
  if (err.code === undefined && (err instanceof TypeError || err instanceof ReferenceError)) {
    return `internal error while connecting to ${host}:${port}: ${err.message} (please report it)`;
  }
  switch (err.code) {
    case 'ECONNREFUSED':
      return `Could not connect to the address ${host}:${port}: connection refused (is a server listening there?)`;
    case 'ETIMEDOUT':
      return `Could not connect to the address ${host}:${port}: timed out`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `Could not connect to the address ${host}:${port}: host unreachable`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `The connection to ${host}:${port} was reset by the peer`;
    default:
      if (/wrong version number/i.test(err.message))
        return `TLS handshake with ${host}:${port} failed: the server does not speak TLS there (try http://)`;
      if (/SSL|TLS|certificate|handshake|alert/i.test(err.message))
        return `TLS handshake with ${host}:${port} failed: ${err.message.split('\n')[0]}`;
      return `Could not connect to the address ${host}:${port}: ${err.message}`;
  }
}
