/**
 * Where nghttpx's TLS contexts are built: the frontend's server options (key, certificate) and
 * each TLS backend's client options (verification, SNI). The TLS options of the configuration
 * land here and nowhere else.
 */
import * as fs from 'fs';
import type * as tls from 'tls';
import type { BackendAddress, NghttpxOptions } from './options';

/** The client side of a TLS backend connection (h2 or HTTP/1.1 over TLS). */
export interface BackendTlsOptions {
  rejectUnauthorized: boolean;
  /** SNI: `sni=` of the backend, else its host. */
  servername: string | undefined;
  /** `--cacert`: trusted CA certificates (PEM) instead of the system's. */
  ca?: Buffer;
}

/** tls.createServer options of the TLS frontends (undefined when every frontend is `no-tls`). */
export function frontendTlsOptions(o: NghttpxOptions): tls.TlsOptions | undefined {
  if (!o.frontends.some((f) => !f.noTls)) return undefined;
  return { key: fs.readFileSync(o.privateKeyFile!), cert: fs.readFileSync(o.certificateFile!) };
}

/** TLS client options for one backend address. */
export function backendTlsOptions(o: NghttpxOptions, a: BackendAddress): BackendTlsOptions {
  return {
    rejectUnauthorized: !o.insecure,
    servername: a.sni ?? (a.host && !/^[\d.]+$|:/.test(a.host) ? a.host : undefined),
    ca: o.cacert ? fs.readFileSync(o.cacert) : undefined,
  };
}
