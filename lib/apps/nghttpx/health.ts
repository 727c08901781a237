/**
 * Health checks of offline backends (`rise`): while an address is offline, a TCP connection (and
 * for TLS backends a handshake) is attempted every backoff interval; `rise` successes in a row
 * bring it back into balancing.
 */
import net = require('net');
import tls = require('tls');
import type { BackendHealth } from './balancer';

/** Where and how to probe. */
export interface ProbeTarget {
  host?: string;
  port?: number;
  unixPath?: string;
  tls: boolean;
  sni?: string;
  /** Connect timeout (ms): `--backend-connect-timeout`. */
  timeoutMs: number;
}

/** One probe: resolves true when the connection (and handshake) succeeded. */
export function probe(t: ProbeTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const opts = t.unixPath !== undefined ? { path: t.unixPath } : { host: t.host, port: t.port! };
    const sock = t.tls
      ? tls.connect({
          ...opts,
          servername: t.sni ?? (t.host && net.isIP(t.host) === 0 ? t.host : undefined),
          rejectUnauthorized: false,
          ALPNProtocols: ['h2', 'http/1.1'],
        })
      : net.connect(opts);
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), t.timeoutMs);
    sock.once(t.tls ? 'secureConnect' : 'connect', () => finish(true));
    sock.once('error', () => finish(false));
    sock.once('close', () => finish(false));
  });
}

/**
 * Keep probing `health` while it is offline; `log` is told when it comes back. Returns a stop
 * function (proxy shutdown, backends replaced by the API).
 */
export function watchHealth(health: BackendHealth, target: ProbeTarget, log: (online: boolean) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped || !health.offline) return;
    // rise 0: "a backend is permanently offline, once it goes in that state".
    if (health.rise === 0) return;
    timer = setTimeout(() => {
      void probe(target).then((ok) => {
        if (stopped) return;
        if (health.checked(ok)) log(true);
        else schedule();
      });
    }, health.backoffMs());
    timer.unref();
  };
  health.onChange = (offline) => {
    if (offline) {
      log(false);
      schedule();
    }
  };
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
