/**
 * Connection set-up for nghttp: what the engine watches while `connect()` runs (the TLS verdict,
 * the h2c Upgrade request as written and the raw answer head) and how a failed connect is told.
 */
import type { Duplex } from 'stream';
import { UpgradeFailedError, AlpnError } from '../../transport/client';
import type { TlsInfo } from '../../transport/client';
import type { FramePrinter } from '../printer/printer';
import { describeConnectError, verifyErrorText } from './errors';
import type { NghttpOptions } from './options';

/** Where the watch writes its verbose output and errors. */
export interface ConnectWatchOutput {
  /** The frame printer of the run (notes, hexdump, the connected line). */
  printer: FramePrinter;
  /** The run's stdout. */
  stdout: { write(chunk: Buffer | string): unknown };
  /** -v or --json: the trace is printed. */
  verbose: boolean;
  /** Report one `[ERROR]` message. */
  err(message: string): void;
}

/**
 * The state of one connect attempt: pass {@link ConnectWatch.onConnected} to `connect()`, then
 * read what it saw (the Upgrade request's header list and answer head, a rejected certificate).
 */
export class ConnectWatch {
  /** The Upgrade request's fields as the transport wrote them (the built list until then). */
  upgradeHeaders: [string, string][];
  /** The raw head of the server's Upgrade answer, once complete. */
  upgradeHead: string | undefined;
  /** Why the Upgrade answer could not be parsed, if it could not. */
  upgradeParseError: string | undefined;
  /** The certificate verification failure text, when the peer was refused (no -y). */
  tlsRejected: string | undefined;
  /** The socket connected (TCP, and TLS when used). */
  connected = false;
  private upgradeRaw: Buffer = Buffer.alloc(0);

  /**
   * @param o - The run's options.
   * @param out - Where to print and report.
   * @param useUpgrade - h2c Upgrade is used on this connection.
   * @param upgradeHeaders - The Upgrade request's header list as built.
   * @param onConnect - Called first when the socket connects (the timing mark).
   */
  constructor(
    private readonly o: NghttpOptions,
    private readonly out: ConnectWatchOutput,
    private readonly useUpgrade: boolean,
    upgradeHeaders: [string, string][],
    private readonly onConnect: () => void,
  ) {
    this.upgradeHeaders = upgradeHeaders;
  }

  /** The transport's `onConnected` hook: check the certificate, and watch the Upgrade exchange. */
  readonly onConnected = (socket: Duplex, tls: TlsInfo | undefined): void => {
    const o = this.o;
    const out = this.out;
    this.connected = true;
    this.onConnect();
    if (out.verbose) out.printer.connected();
    if (tls) {
      if (!tls.authorized && !o.noVerifyPeer) {
        this.tlsRejected = verifyErrorText(tls.authorizationError);
        socket.destroy();
        return;
      }
      if (out.verbose && tls.alpnProtocol === 'h2') {
        if (o.json) out.printer.note('The negotiated protocol: h2');
        else out.stdout.write('The negotiated protocol: h2\n');
      }
    }
    if (this.useUpgrade) {
      // Show the Upgrade request exactly as the transport writes it (its first write).
      const write = socket.write;
      (socket as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
        socket.write = write;
        const text = Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk);
        const lines = text
          .split('\r\n')
          .slice(1)
          .filter((l) => l !== '');
        this.upgradeHeaders = lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]);
        if (out.verbose) {
          out.printer.note('HTTP Upgrade request');
          if (!o.json) out.stdout.write(Buffer.from(text + '\n', 'latin1'));
        }
        return (write as (...a: unknown[]) => boolean).call(socket, chunk, ...rest);
      };
      // Keep the raw answer head (the transport lower-cases names) and refuse a non-HTTP answer early.
      const sniff = (chunk: Buffer) => {
        this.upgradeRaw = Buffer.concat([this.upgradeRaw, chunk]);
        const prefix = this.upgradeRaw.subarray(0, 5).toString('latin1');
        if (!'HTTP/'.startsWith(prefix)) {
          socket.off('data', sniff);
          this.upgradeParseError = 'Expected HTTP/';
          socket.destroy(new Error('HTTP Upgrade response is not HTTP/1.1'));
          return;
        }
        const end = this.upgradeRaw.indexOf('\r\n\r\n');
        if (end >= 0) {
          socket.off('data', sniff);
          this.upgradeHead = this.upgradeRaw.subarray(0, end + 4).toString('latin1');
          const rest = this.upgradeRaw.subarray(end + 4);
          if (o.hexdump && rest.length) out.printer.hexdump(rest);
        }
      };
      socket.prependListener('data', sniff);
    }
  };

  /** Report a certificate the peer was refused for (no -y). */
  reportTlsRejected(): void {
    this.out.err(`Certificate verification failed: ${this.tlsRejected} (use -y to connect anyway)`);
  }

  /** Report why `connect()` failed (printing the refused Upgrade answer under -v). */
  reportFailure(e: unknown, address: string, port: number): void {
    const out = this.out;
    const error = e as NodeJS.ErrnoException;
    if (this.tlsRejected !== undefined) {
      this.reportTlsRejected();
    } else if (e instanceof AlpnError) {
      out.err(`HTTP/2 protocol was not selected by ALPN (the server chose ${e.alpnProtocol || 'nothing'}; h2 is required)`);
    } else if (this.useUpgrade && this.connected) {
      if (out.verbose) {
        out.printer.note('HTTP Upgrade response');
        // The refusal's head and whatever of its body came with it, as the reference shows them.
        const body = e instanceof UpgradeFailedError ? e.body : Buffer.alloc(0);
        if (!this.o.json && this.upgradeHead)
          out.stdout.write(Buffer.concat([Buffer.from(this.upgradeHead, 'latin1'), body, Buffer.from('\n')]));
      }
      if (this.upgradeParseError) out.err(`Failed to parse HTTP Upgrade response header: ${this.upgradeParseError}`);
      else if (e instanceof UpgradeFailedError)
        out.err(`HTTP Upgrade failed: the server answered ${e.response.status} ${e.response.reason}`);
      else out.err(`HTTP Upgrade failed: ${error.message}`);
    } else {
      out.err(describeConnectError(error, address, port));
    }
  }

  /** Under -v, print the successful Upgrade answer as the reference does. */
  printUpgradeSuccess(): void {
    const out = this.out;
    if (!out.verbose) return;
    out.printer.note('HTTP Upgrade response');
    if (!this.o.json && this.upgradeHead) out.stdout.write(Buffer.from(this.upgradeHead + '\n', 'latin1'));
    out.printer.note('HTTP Upgrade success');
  }
}
