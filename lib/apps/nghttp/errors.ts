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
export function describeConnectError(
  err: NodeJS.ErrnoException & { reason?: string; library?: string },
  host: string,
  port: number,
): string {
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
    // OpenSSL's record layer read something that is not TLS: a cleartext server.
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return `TLS handshake with ${host}:${port} failed: the server does not speak TLS there (try http://)`;
    default:
      if (isTlsFailure(err)) return `TLS handshake with ${host}:${port} failed: ${err.reason ?? err.message.split('\n')[0]}`;
      return `Could not connect to the address ${host}:${port}: ${err.message}`;
  }
}

/**
 * Whether a connect failure came from TLS, told by the error's typed fields (never its text):
 * OpenSSL's errors carry `library` and an `ERR_SSL_*` code, Node's TLS layer `ERR_TLS_*`,
 * a refused certificate its verification code.
 */
function isTlsFailure(err: NodeJS.ErrnoException & { library?: string }): boolean {
  const code = err.code ?? '';
  return err.library !== undefined || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code in VERIFY_TEXT;
}

/**
 * What the reference says (after "[ERROR] ") of a request it never sent because the server's
 * GOAWAY came first: nghttp2_strerror(NGHTTP2_ERR_START_STREAM_NOT_ALLOWED).
 */
export function notAllowedText(uri: string): string {
  return `request ${uri} failed: request HEADERS is not allowed`;
}
