/**
 * Target `sniff`: the server's socket-level sniffer (lib/transport/server.ts `acceptor`), fed a
 * connection's first bytes in pieces through a mock socket: the HTTP/2 preface, an HTTP/1.1
 * request (h2c Upgrade or not), or anything else. The input's last octet picks the listener's
 * options (invalidPreface 'goaway' or 'http1', Upgrade allowed or not, an onHttp1Socket hand-off
 * or the built-in answer). TLS sockets are not reached (a handshake is not fuzzable here).
 *
 * Clean outcomes, at most one per connection: the socket handed to an Http2Connection (with
 * every byte read so far as its initial data, or as the upgrade's request and body), handed to
 * onHttp1Socket (with every byte read so far), answered and ended (HTTP/1.1 text, or SETTINGS +
 * GOAWAY(PROTOCOL_ERROR) in 'goaway' mode), or still undecided. Invariants checked: no throw;
 * never two outcomes; no write after end; the preface is always handed over as HTTP/2 and never
 * answered in text; an answer is well formed.
 */
import { EventEmitter } from 'events';
import { CONNECTION_PREFACE } from '../../lib/protocol/frame/constants';
import { acceptor, type Http2Acceptor, type ListenOptions } from '../../lib/transport/server';
import type { Http2Connection } from '../../lib/transport/connection';
import { chunksOf, FuzzTarget, InvariantError } from './target';

/** A socket with no I/O and nothing asynchronous: the fuzz loop is synchronous. */
class MockSocket extends EventEmitter {
  remoteAddress = '127.0.0.1';
  remotePort = 40000;
  destroyed = false;
  writableEnded = false;
  readableLength = 0;
  writableLength = 0;
  writableHighWaterMark = 16384;
  readonly written: Buffer[] = [];
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  read(): null {
    return null;
  }
  cork(): void {}
  uncork(): void {}
  write(chunk: Buffer | string): boolean {
    if (this.writableEnded || this.destroyed) throw new InvariantError('write after end');
    this.written.push(Buffer.from(chunk));
    return true;
  }
  end(chunk?: Buffer | string): this {
    if (chunk !== undefined && chunk.length) this.write(chunk);
    this.writableEnded = true;
    return this;
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('close', false);
    }
    return this;
  }
}

/** What the sniffer did with the current connection. */
interface Outcome {
  h2?: { initialData: Buffer; upgrade: boolean };
  http1Socket?: Buffer;
}

let current: Outcome = {};
let lastAnswer: Buffer | undefined;

/** What the last input came to (for the spec that checks this target is not vacuous). */
export function lastOutcome(): Outcome & { answer?: Buffer } {
  return { ...current, answer: lastAnswer };
}
let handed: Http2Connection | undefined;

function note(what: keyof Outcome, value: Outcome[keyof Outcome]): void {
  if (current.h2 || current.http1Socket) throw new InvariantError(`the sniffer decided twice (${what} after an earlier hand-off)`);
  (current as Record<string, unknown>)[what] = value;
}

const VARIANTS: Omit<ListenOptions, 'host' | 'port'>[] = [
  { invalidPreface: 'goaway' },
  { invalidPreface: 'http1' },
  { invalidPreface: 'goaway', allowUpgrade: false },
  { invalidPreface: 'http1', onHttp1Socket: (_s, data) => note('http1Socket', Buffer.from(data)) },
];
const acceptors: (Http2Acceptor | undefined)[] = [];

function acceptorFor(i: number): Http2Acceptor {
  acceptors[i] ??= acceptor({ ...VARIANTS[i], connection: { autoStart: false } }, (conn) => {
    handed = conn;
    const o = (conn as unknown as { opts: { initialData?: Buffer; upgrade?: { body?: Buffer }; rawPrefix?: Buffer } }).opts;
    note('h2', { initialData: o.rawPrefix ?? o.initialData ?? Buffer.alloc(0), upgrade: o.upgrade !== undefined });
  });
  return acceptors[i]!;
}

/** An answer is an HTTP/1.1 response, or (goaway mode) SETTINGS then GOAWAY(PROTOCOL_ERROR). */
function checkAnswer(out: Buffer, variant: number): void {
  if (out.subarray(0, 9).toString('latin1') === 'HTTP/1.1 ') {
    if (!/^HTTP\/1\.1 \d{3} [^\r\n]*\r\n/.test(out.toString('latin1'))) throw new InvariantError('malformed status line');
    return;
  }
  if (VARIANTS[variant].invalidPreface !== 'goaway') throw new InvariantError('a binary answer in http1 mode');
  const types: number[] = [];
  for (let at = 0; at + 9 <= out.length; ) {
    const len = out.readUIntBE(at, 3);
    types.push(out[at + 3]);
    if (out[at + 3] === 0x7 && out.readUInt32BE(at + 9 + 4) !== 0x1)
      throw new InvariantError('GOAWAY with a code other than PROTOCOL_ERROR');
    at += 9 + len;
  }
  if (types[0] !== 0x4 || !types.includes(0x7)) throw new InvariantError(`invalid-preface answer is frames ${types.join(',')}`);
}

export const target: FuzzTarget = {
  name: 'sniff',
  maxLen: 2048,
  dictionary: [
    CONNECTION_PREFACE,
    'PRI * HTTP/2.0\r\n',
    '\r\nSM\r\n\r\n',
    'GET / HTTP/1.1\r\n',
    'POST /up HTTP/1.1\r\n',
    'HTTP/1.0',
    'Host: a\r\n',
    'Upgrade: h2c\r\n',
    'Connection: Upgrade, HTTP2-Settings\r\n',
    'HTTP2-Settings: AAMAAABkAAQAAP__\r\n',
    'Content-Length: 5\r\n',
    'Transfer-Encoding: chunked\r\n',
    '\r\n\r\n',
    '\r\n',
    '\x16\x03\x01',
    '\x00\x00\x00\x04\x00\x00\x00\x00\x00',
  ],
  run(input: Buffer): void {
    const variant = input.length ? input[input.length - 1] % VARIANTS.length : 0;
    const socket = new MockSocket();
    current = {};
    lastAnswer = undefined;
    handed = undefined;
    let fed = 0;
    try {
      acceptorFor(variant).accept(socket as never);
      for (const chunk of chunksOf(input, 7)) {
        if (current.h2 || current.http1Socket || socket.destroyed) break;
        socket.emit('data', chunk);
        fed += chunk.length;
      }
      const seen = input.subarray(0, fed);
      if (current.h2) {
        if (!seen.equals(current.h2.initialData)) throw new InvariantError('HTTP/2 handed over without every byte read');
        if (socket.written.length && !current.h2.upgrade) throw new InvariantError('bytes written before an HTTP/2 hand-off');
      } else if (current.http1Socket) {
        if (!seen.equals(current.http1Socket)) throw new InvariantError('onHttp1Socket given other bytes than those read');
      }
      if (seen.subarray(0, CONNECTION_PREFACE.length).equals(CONNECTION_PREFACE) && (!current.h2 || current.h2.upgrade))
        throw new InvariantError('the preface was not handed over as HTTP/2');
      lastAnswer = socket.writableEnded && !current.h2 ? Buffer.concat(socket.written) : undefined;
      if (lastAnswer) checkAnswer(lastAnswer, variant);
    } finally {
      (handed as Http2Connection | undefined)?.destroy();
      socket.destroy();
    }
  },
};
