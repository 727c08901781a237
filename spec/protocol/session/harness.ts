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

export function endpoint(
  role: 'client' | 'server',
  opts: Partial<SessionOptions> = {},
  onEvent?: (ev: SessionEvent, s: Session) => void,
): Endpoint {
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
  [':method', method],
  [':scheme', 'http'],
  [':authority', 'localhost'],
  [':path', path],
  ...extra,
];

/** A raw scripted peer: hand-made frames in, parsed frames out. */
export class RawPeer {
  readonly enc = new HpackEncoder();
  readonly dec = new HpackDecoder();
  readonly received: Frame[] = [];
  private readonly deframer: Deframer;
  constructor(
    readonly session: Session,
    readonly role: 'client' | 'server',
  ) {
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
    return this.send({
      type: FrameType.HEADERS,
      flags: Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0) | extraFlags,
      streamId,
      fragment: this.enc.encode(headers),
    } as Frame);
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

/** Send a header block split into HEADERS + CONTINUATION frames of at most 16384 octets. */
export function sendBlock(peer: RawPeer, id: number, headers: HeaderField[], endStream: boolean): void {
  const block = peer.enc.encode(headers);
  const parts: Buffer[] = [];
  for (let i = 0; i < block.length; i += 16384) parts.push(block.subarray(i, i + 16384));
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    if (i === 0)
      peer.send({
        type: FrameType.HEADERS,
        flags: (endStream ? Flag.END_STREAM : 0) | (last ? Flag.END_HEADERS : 0),
        streamId: id,
        fragment: p,
      } as Frame);
    else peer.send({ type: FrameType.CONTINUATION, flags: last ? Flag.END_HEADERS : 0, streamId: id, fragment: p } as Frame);
  });
}

/** A SETTINGS ACK. */
export const ACK = { type: FrameType.SETTINGS, flags: Flag.ACK, streamId: 0, settings: [] } as Frame;

/** A server session that answers every request with a bare 200. */
export function answering(opts = {}) {
  return endpoint('server', opts, (ev, s) => {
    if (ev.type === 'requestReceived') s.respond(ev.streamId, [[':status', '200']], { endStream: true });
  });
}

/** The :status of the response HEADERS on stream `id` among `frames`. */
export function statusOf(peer: RawPeer, frames: Frame[], id: number): string | undefined {
  const h = frames.find((f) => f.type === FrameType.HEADERS && f.streamId === id);
  return h ? peer.decode(h).find((x) => x[0] === ':status')?.[1] : undefined;
}
