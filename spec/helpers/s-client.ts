/**
 * One HTTP/1.1 GET over `openssl s_client`, saving or resuming a TLS session: what the TLS
 * session specs (tickets, memcached) read from it.
 */
import { execFile } from 'child_process';
import { OPENSSL } from './pki';

/** What one `openssl s_client` run saw. */
export interface Handshake {
  reused: boolean;
  /** NewSessionTicket messages the server sent. */
  tickets: number;
  /** The Session-ID s_client printed (lower-case hex). */
  sessionId: string;
  /** The HTTP status of the answer ('-' when none came). */
  status: string;
}

/** Extra s_client choices: save the session to `out`, resume `from`, offer no ticket (`noTicket`: session ID resumption). */
export interface HandshakeIo {
  out?: string;
  from?: string;
  noTicket?: boolean;
}

/** One GET over `openssl s_client -tls1_2|-tls1_3` to 127.0.0.1:`port`. */
export function handshake(port: number, version: 'tls1_2' | 'tls1_3', io: HandshakeIo): Promise<Handshake> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, `-${version}`, '-alpn', 'http/1.1', '-ign_eof', '-msg'];
  if (io.out) args.push('-sess_out', io.out);
  if (io.from) args.push('-sess_in', io.from);
  if (io.noTicket) args.push('-no_ticket');
  return new Promise((resolve) => {
    const c = execFile(OPENSSL, args, { timeout: 20000 }, (_e, stdout) => {
      const out = String(stdout);
      resolve({
        reused: /^Reused,/m.test(out),
        tickets: (out.match(/<<< .*NewSessionTicket/g) ?? []).length,
        sessionId: (/Session-ID: ([0-9A-F]*)/.exec(out)?.[1] ?? '').toLowerCase(),
        status: /HTTP\/1\.1 (\d+)/.exec(out)?.[1] ?? '-',
      });
    });
    c.stdin?.on('error', () => {}); // openssl may exit before reading it (EPIPE)
    c.stdin?.end('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  });
}
