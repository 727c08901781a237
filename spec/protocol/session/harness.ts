/**
 * Test harness: Sessions wired together in memory (no sockets), event recorders, and a scripted
 * raw peer that writes hand-made frames with the frame codec.
 */
import { encodeFrame } from '../../../lib/protocol/frame/codec';
import { CONNECTION_PREFACE, Flag, FrameType } from '../../../lib/protocol/frame/constants';
import { Deframer } from '../../../lib/protocol/frame/deframer';
import type { Frame, HeaderField } from '../../../lib/protocol/frame/types';
import { Session } from '../../../lib/protocol/session/session';
import type { SessionEvent, SessionOptions } from '../../../lib/protocol/session/types';
import { HpackEncoder } from '../../../lib/protocol/hpack/encoder';
import { HpackDecoder } from '../../../lib/protocol/hpack/decoder';

/** A session plus everything it emitted. */
export interface Endpoint {
  session: Session;
  events: SessionEvent[];
  /** Events without frameSent/frameReceived. */
  app(): SessionEvent[];
}

export function endpoint(role: 'client' | 'server', opts: Partial<SessionOptions> = {}, onEvent?: (ev: SessionEvent, s: Session) => void): Endpoint {
  const events: SessionEvent[] = [];
  let session!: Session;
  session = new Session({
    role,
    frameEvents: false,
    ...opts,
    onEvent: (ev) => {
      events.push(ev);
      onEvent?.(ev, session);
    },
  });
  return { session, events, app: () => events.filter((e) => e.type !== 'frameSent' && e.type !== 'frameReceived') };
}

/** Move bytes both ways until both sides are quiet (bounded). Returns the number of rounds. */
export function pump(a: Session, b: Session, maxRounds = 10000): number {
  for (let i = 0; i < maxRounds; i++) {
    const x = a.dataToSend();
    if (x) b.receive(x);
    const y = b.dataToSend();
    if (y) a.receive(y);
    if (!x && !y) return i;
  }
  throw new Error('pump: no quiescence');
}

export const req = (path = '/', method = 'GET', extra: HeaderField[] = []): HeaderField[] => [
  [':method', method], [':scheme', 'http'], [':authority', 'localhost'], [':path', path], ...extra,
];

/** A raw scripted peer: hand-made frames in, parsed frames out. */
export class RawPeer {
  readonly enc = new HpackEncoder();
  readonly dec = new HpackDecoder();
  readonly received: Frame[] = [];
  private readonly deframer: Deframer;
  constructor(readonly session: Session, readonly role: 'client' | 'server') {
    this.deframer = new Deframer({ expectPreface: role === 'server', maxFrameSize: 16777215 });
  }
  /** Client peer: send the preface and an empty SETTINGS. */
  preface(settings: { id: number; value: number }[] = []): this {
    if (this.role === 'client') this.session.receive(CONNECTION_PREFACE);
    this.send({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings } as Frame);
    return this;
  }
  send(f: Frame): this {
    this.session.receive(encodeFrame(f));
    return this;
  }
  bytes(b: Buffer): this {
    this.session.receive(b);
    return this;
  }
  headers(streamId: number, headers: HeaderField[], endStream = false, extraFlags = 0): this {
    return this.send({ type: FrameType.HEADERS, flags: Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0) | extraFlags, streamId, fragment: this.enc.encode(headers) } as Frame);
  }
  data(streamId: number, data: Buffer | string, endStream = false, padLength?: number): this {
    const f: any = { type: FrameType.DATA, flags: endStream ? Flag.END_STREAM : 0, streamId, data: Buffer.from(data) };
    if (padLength !== undefined) f.padLength = padLength;
    return this.send(f);
  }
  /** Read everything the session wants to send. */
  read(): Frame[] {
    const out: Frame[] = [];
    for (let i = 0; i < 1000; i++) {
      const b = this.session.dataToSend();
      if (!b) break;
      this.deframer.push(b, (f) => out.push(f));
    }
    this.received.push(...out);
    return out;
  }
  decode(f: Frame): HeaderField[] {
    return this.dec.decode((f as any).fragment);
  }
}

export function types(frames: Frame[]): string[] {
  return frames.map((f) => FrameType[f.type] ?? String(f.type));
}
