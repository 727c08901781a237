/**
 * Settings sync (RFC 9113 section 6.5): what we advertised and the peer ACKed, what the peer
 * advertised, the SETTINGS frames in flight (ACKed in order), and where each value takes effect:
 * our values reconfigure the reading side (frame size, HPACK decoder, receive windows) on ACK,
 * the peer's reconfigure the writing side (HPACK encoder, send windows, concurrency) at once.
 */
import type { ConnectionContext } from '../context';
import { ApiMisuseError, ConnectionError, ErrorCode } from '../errors';
import { Flag, FrameType, MAX_WINDOW_SIZE, Setting } from '../frame/constants';
import type { Frame, SettingEntry, SettingsFrame } from '../frame/types';
import type { HpackDecoder } from '../hpack/decoder';
import type { DataWriter } from './data-writer';
import type { FloodGuard } from './flood-guard';
import type { InboundFlow } from './inbound-flow';
import { copySettings, defaultLocalSettings, SETTING_KEYS } from './settings';
import type { Stream } from './stream';
import { LocalSettings, RFC_INITIAL_SETTINGS, SessionEvent, SessionLimits } from './types';

/** What SettingsSync asks of the session that owns it. */
export interface SettingsHost {
  readonly role: 'client' | 'server';
  readonly limits: SessionLimits;
  now(): number;
  /** Every stream known (for window changes). */
  streamList(): Iterable<Stream>;
  queueControl(f: Frame, ours?: boolean): void;
  onEvent(ev: SessionEvent): void;
  /** The peer's SETTINGS were applied: queued requests may go, there is something to write. */
  peerSettingsApplied(): void;
}

/** The layers a settings change reconfigures. */
export interface SettingsTargets {
  /** The connection context: the stages bound to it (deframer, HPACK codecs) follow its changes. */
  context: ConnectionContext;
  decoder: HpackDecoder;
  flow: InboundFlow;
  writer: DataWriter;
  flood: FloodGuard;
}

/** A SETTINGS frame in flight: the full local settings it makes, when it was sent. */
interface PendingSettings {
  settings: LocalSettings;
  sentAt: number;
}

/** No SETTINGS in flight (shared, never written: send() makes a list). */
const NONE_PENDING: PendingSettings[] = [];

/** Settings state and its effects; see the module comment. */
export class SettingsSync {
  /** What the peer advertised (RFC initial values until its SETTINGS arrives). */
  readonly remote: LocalSettings = copySettings(RFC_INITIAL_SETTINGS);
  /** What we advertised and the peer ACKed (RFC initial values until the first ACK). */
  readonly local: LocalSettings = copySettings(RFC_INITIAL_SETTINGS);
  /** SETTINGS in flight: each sent frame's full local settings, ACKed in order. */
  private pending: PendingSettings[] = NONE_PENDING;
  /** Whether the peer's first frame (its SETTINGS) has arrived. */
  gotPeerSettings = false;
  /**
   * The payload of our first SETTINGS frame (the h2c HTTP2-Settings header), as a latin1 string:
   * ~40 octets, where its entries (objects with boxed numbers, in a 17-slot array) were ~0.4 KB
   * kept for the connection's life.
   */
  firstPayload = '';
  /** Whether the peer's first SETTINGS frame (or the h2c HTTP2-Settings) has been applied. */
  private remoteSettingsSeen = false;
  private readonly context: ConnectionContext;
  private readonly decoder: HpackDecoder;
  private readonly flow: InboundFlow;
  private readonly writer: DataWriter;
  private readonly flood: FloodGuard;

  constructor(
    private readonly host: SettingsHost,
    t: SettingsTargets,
  ) {
    // Kept as fields, not the targets object (~24 octets less per connection).
    this.context = t.context;
    this.decoder = t.decoder;
    this.flow = t.flow;
    this.writer = t.writer;
    this.flood = t.flood;
  }

  /** The settings we advertised most recently (ACKed or not). */
  advertised(): LocalSettings {
    const p = this.pending;
    return p.length > 0 ? p[p.length - 1].settings : this.local;
  }

  /** The oldest SETTINGS frame still unacknowledged: when it was sent, or undefined. */
  oldestUnackedAt(): number | undefined {
    return this.pending[0]?.sentAt;
  }

  /** `implicit`: settings from an h2c HTTP2-Settings header, acknowledged by the 101 itself. */
  recvSettings(f: SettingsFrame, implicit = false): void {
    const host = this.host;
    if (f.flags & Flag.ACK) {
      const p = this.pending.shift();
      // All acknowledged: the list goes (most connections send one SETTINGS frame in their life).
      if (this.pending.length === 0) this.pending = NONE_PENDING;
      // An ACK for nothing we sent: ignored (nghttp2 does the same).
      if (p === undefined) return;
      // The frame size and HPACK table limits of the reading stages follow the context.
      this.context.settingsAcknowledged();
      this.applyAcked(p.settings);
      host.onEvent({ type: 'settingsAcknowledged' });
      return;
    }
    this.flood.check('settings', host.now());
    const r = this.remote;
    if (!this.remoteSettingsSeen) {
      // The assumed limit (peerMaxConcurrentStreams) gives way to the RFC initial value
      // ("initially, there is no limit to this value") unless this frame names one.
      this.remoteSettingsSeen = true;
      r.maxConcurrentStreams = RFC_INITIAL_SETTINGS.maxConcurrentStreams;
    }
    for (const e of f.settings) {
      const v = e.value;
      switch (e.id) {
        case Setting.HEADER_TABLE_SIZE:
          r.headerTableSize = v;
          break;
        case Setting.ENABLE_PUSH:
          // RFC 9113 section 6.5.2: "A client MUST treat receipt of a SETTINGS frame with
          // SETTINGS_ENABLE_PUSH set to 1 as a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
          if (host.role === 'client' && v === 1)
            throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'server sent SETTINGS_ENABLE_PUSH = 1');
          r.enablePush = v === 1;
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          r.maxConcurrentStreams = v;
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          const delta = v - r.initialWindowSize;
          r.initialWindowSize = v;
          this.writer.applyInitialWindowDelta(host.streamList(), delta);
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          r.maxFrameSize = v;
          break;
        case Setting.MAX_HEADER_LIST_SIZE:
          r.maxHeaderListSize = v;
          break;
        case Setting.ENABLE_CONNECT_PROTOCOL:
          // RFC 8441 section 3: "A sender MUST NOT send a SETTINGS_ENABLE_CONNECT_PROTOCOL
          // parameter with the value of 0 after previously sending a value of 1."
          if (v === 0 && r.enableConnectProtocol)
            throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS_ENABLE_CONNECT_PROTOCOL went from 1 to 0');
          r.enableConnectProtocol = v === 1;
          break;
        case Setting.NO_RFC7540_PRIORITIES:
          r.noRfc7540Priorities = v === 1;
          break;
        default:
          // RFC 9113 section 6.5.2: "An endpoint that receives a SETTINGS frame with any unknown
          // or unsupported identifier MUST ignore that setting."
          break;
      }
      // The writing stages bound to the context (the HPACK encoder) follow the peer's values.
      this.context.settingReceived(e.id, v);
    }
    // RFC 9113 section 6.5.3: "Once all values have been processed, the recipient MUST
    // immediately emit a SETTINGS frame with the ACK flag set."
    if (!implicit) host.queueControl({ type: FrameType.SETTINGS, flags: Flag.ACK, streamId: 0, settings: [] } as SettingsFrame);
    host.onEvent({ type: 'settingsReceived', settings: f.settings });
    host.peerSettingsApplied();
  }

  /**
   * RFC 9113 section 6.5.3: "Upon receiving a SETTINGS frame with the ACK flag set, the sender of
   * the altered settings can rely on the values from the oldest unacknowledged SETTINGS frame
   * having been applied." A larger limit is only enforced after the peer knows it, a smaller one
   * too (a peer may have sent under the old one).
   */
  private applyAcked(s: LocalSettings): void {
    const l = this.local;
    if (s.maxHeaderListSize !== l.maxHeaderListSize)
      this.decoder.setMaxHeaderListSize(Math.min(this.host.limits.maxHeaderListSize, s.maxHeaderListSize));
    // A smaller window takes effect once the peer knows it: shrink open streams now.
    if (s.initialWindowSize < l.initialWindowSize) this.flow.shrink(this.host.streamList(), s.initialWindowSize, l.initialWindowSize);
    Object.assign(l, s);
  }

  /** Queue a SETTINGS frame with `entries`, whose full result is `next`. */
  send(entries: SettingEntry[], next: LocalSettings): void {
    // A larger receive window may be used by the peer as soon as it reads the frame: grow now.
    this.flow.grow(this.host.streamList(), next.initialWindowSize);
    if (this.pending === NONE_PENDING) this.pending = [];
    this.pending.push({ settings: next, sentAt: this.host.now() });
    this.context.settingsSent(entries);
    this.host.queueControl({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: entries } as SettingsFrame, true);
  }

  /** Send a new SETTINGS frame with these changes (Session.updateSettings). */
  update(settings: Partial<LocalSettings>): void {
    const next: LocalSettings = { ...this.advertised(), ...settings };
    checkLocalSettings(next);
    const entries: SettingEntry[] = [];
    for (const [k, id] of SETTING_KEYS) {
      const v = settings[k];
      if (v === undefined) continue;
      const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      if (Number.isFinite(n)) entries.push({ id, value: n });
    }
    const limits = this.host.limits;
    if (settings.maxConcurrentStreams !== undefined) limits.maxConcurrentStreams = settings.maxConcurrentStreams;
    // What we advertise is what we accept: the header-list limit follows the setting (on ACK).
    if (settings.maxHeaderListSize !== undefined) limits.maxHeaderListSize = settings.maxHeaderListSize;
    this.send(entries, next);
  }

  /**
   * Our first SETTINGS given as entries, in wire order, an id possibly repeated. RFC 9113 section
   * 6.5.3: "The values in the SETTINGS frame MUST be processed in the order they appear, with no
   * other frame processing between values", so the last value of an id wins; every value must
   * be valid on its own. (Several HEADER_TABLE_SIZE values also leave their minimum, which the
   * ConnectionContext hands the decoder on ACK: RFC 7541 section 4.2.)
   */
  fromList(list: readonly SettingEntry[]): LocalSettings {
    const role = this.host.role;
    const local: LocalSettings = defaultLocalSettings(role, this.host.limits);
    if (role === 'server') local.enablePush = false;
    for (const e of list) {
      if (!Number.isInteger(e.id) || e.id < 0 || e.id > 0xffff || !Number.isInteger(e.value) || e.value < 0 || e.value > 0xffffffff) {
        throw new ApiMisuseError(`SETTINGS entry ${e.id}=${e.value} out of range`);
      }
      const key = SETTING_KEYS.find(([, id]) => id === e.id)?.[0];
      if (key === undefined) continue;
      const isFlag = typeof local[key] === 'boolean';
      if (isFlag && e.value > 1) throw new ApiMisuseError(`SETTINGS entry ${e.id} must be 0 or 1, not ${e.value}`);
      if (key === 'enablePush' && role === 'server' && e.value !== 0) throw new ApiMisuseError('a server must not set ENABLE_PUSH to 1');
      (local as unknown as Record<string, number | boolean>)[key] = isFlag ? e.value === 1 : e.value;
      checkLocalSettings(local);
    }
    return local;
  }
}

/** Refuse settings we could not honour ourselves (API misuse, not a wire error). */
export function checkLocalSettings(s: LocalSettings): void {
  if (!(s.maxFrameSize >= 16384 && s.maxFrameSize <= 16777215))
    throw new ApiMisuseError(`maxFrameSize ${s.maxFrameSize} outside 16384..16777215`);
  if (!(s.initialWindowSize >= 0 && s.initialWindowSize <= MAX_WINDOW_SIZE))
    throw new ApiMisuseError(`initialWindowSize ${s.initialWindowSize} outside 0..2^31-1`);
  if (!(s.headerTableSize >= 0 && s.headerTableSize <= 0xffffffff))
    throw new ApiMisuseError(`headerTableSize ${s.headerTableSize} out of range`);
}
