/**
 * The connection context: one small object per connection, shared by that connection's reading
 * and writing layers (frames, field blocks, HPACK, the session). SETTINGS and window changes seen
 * by one side reconfigure the other: the peer's SETTINGS (read) bound what the writing layers
 * send; our SETTINGS (written), once the peer ACKs them (read), bound what the reading layers
 * accept. Stages subscribe to the changes that concern them; nothing here does I/O.
 */
import {
  DEFAULT_HEADER_TABLE_SIZE,
  DEFAULT_INITIAL_WINDOW_SIZE,
  DEFAULT_MAX_FRAME_SIZE,
  Flag,
  FrameType,
  Setting,
} from './frame/constants';
import type { Frame, SettingEntry } from './frame/types';

/** The settings that shape the bytes of one direction. */
export interface WireSettings {
  headerTableSize: number;
  maxFrameSize: number;
  maxHeaderListSize: number;
  initialWindowSize: number;
}

/** One change: `local` (our settings, ACKed: the reading side) or `remote` (the peer's: the writing side). */
export interface SettingsChange {
  side: 'local' | 'remote';
  /** The setting's identifier (Setting.HEADER_TABLE_SIZE, Setting.MAX_FRAME_SIZE, ...). */
  id: number;
  value: number;
  /**
   * HEADER_TABLE_SIZE on ACK only: the smallest value within the acknowledged frame, when below
   * `value`. RFC 7541 section 4.2: the encoder must signal "the smallest maximum table size that
   * occurs in that interval" before the final one, so the decoder must expect both.
   */
  min?: number;
}

/** A subscriber to settings changes. */
export type SettingsListener = (change: SettingsChange) => void;

/**
 * A subscriber to settings changes as an object (the binders below subscribe small objects rather
 * than closures: a closure and the scope it captures take ~0.1 KB, three per connection).
 */
export interface SettingsSubscriber {
  settingsChanged(change: SettingsChange): void;
}

const KEYS: Record<number, keyof WireSettings> = {
  [Setting.HEADER_TABLE_SIZE]: 'headerTableSize',
  [Setting.MAX_FRAME_SIZE]: 'maxFrameSize',
  [Setting.MAX_HEADER_LIST_SIZE]: 'maxHeaderListSize',
  [Setting.INITIAL_WINDOW_SIZE]: 'initialWindowSize',
};

function initialSettings(): WireSettings {
  return {
    headerTableSize: DEFAULT_HEADER_TABLE_SIZE,
    maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
    maxHeaderListSize: Infinity,
    initialWindowSize: DEFAULT_INITIAL_WINDOW_SIZE,
  };
}

/** No SETTINGS in flight (shared, never written: settingsSent makes a list). */
const NONE_IN_FLIGHT: (readonly SettingEntry[])[] = [];

/** The context; see the module comment. */
export class ConnectionContext {
  /** Our settings as the peer has acknowledged them: what the reading layers accept. */
  readonly local: WireSettings = initialSettings();
  /** The peer's settings: what the writing layers may send. */
  readonly remote: WireSettings = initialSettings();
  /** Connection-level flow-control window (RFC 9113 section 6.9): octets of DATA we may send. */
  sendWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  /** Connection-level flow-control window: octets of DATA the peer may send. */
  recvWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  /** Our SETTINGS frames not yet acknowledged, oldest first (their entries). */
  private inFlight: (readonly SettingEntry[])[] = NONE_IN_FLIGHT;
  /**
   * Replaced, never grown in place: a session subscribes three listeners once, and an array grown
   * by push keeps 17 slots (~0.1 KB more per connection than an exact-size copy).
   */
  private listeners: (SettingsListener | SettingsSubscriber)[] = [];

  /**
   * Call `listener` (or its `settingsChanged`) on every settings change from now on; returns the
   * unsubscribe function.
   */
  subscribe(listener: SettingsListener | SettingsSubscriber): () => void {
    this.listeners = this.listeners.concat([listener]);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** We sent a SETTINGS frame (not an ACK) with these entries: they apply once acknowledged. */
  settingsSent(entries: readonly SettingEntry[]): void {
    if (this.inFlight === NONE_IN_FLIGHT) this.inFlight = [];
    this.inFlight.push(entries);
  }

  /**
   * The peer acknowledged our oldest unacknowledged SETTINGS. RFC 9113 section 6.5.3: "Upon
   * receiving a SETTINGS frame with the ACK flag set, the sender of the altered settings can rely
   * on the values from the oldest unacknowledged SETTINGS frame having been applied." Returns
   * false for an ACK of nothing.
   */
  settingsAcknowledged(): boolean {
    const entries = this.inFlight.shift();
    // All acknowledged: the list goes (most connections send one SETTINGS frame in their life).
    if (this.inFlight.length === 0) this.inFlight = NONE_IN_FLIGHT;
    if (entries === undefined) return false;
    // RFC 9113 section 6.5.3: "The values in the SETTINGS frame MUST be processed in the order
    // they appear", so the last value of an id wins.
    const last = new Map<number, number>();
    let minTable = Infinity;
    for (const e of entries) {
      if (KEYS[e.id] === undefined) continue;
      last.set(e.id, e.value);
      if (e.id === Setting.HEADER_TABLE_SIZE) minTable = Math.min(minTable, e.value);
    }
    for (const [id, value] of last) {
      const key = KEYS[id];
      const min = id === Setting.HEADER_TABLE_SIZE && minTable < value ? minTable : undefined;
      if (this.local[key] === value && min === undefined) continue;
      this.local[key] = value;
      this.emit({ side: 'local', id, value, min });
    }
    return true;
  }

  /** One entry of the peer's SETTINGS, in wire order: it bounds the writing side at once. */
  settingReceived(id: number, value: number): void {
    const key = KEYS[id];
    if (key === undefined) return;
    this.remote[key] = value;
    this.emit({ side: 'remote', id, value });
  }

  /**
   * Follow a frame read from the peer (for layers not driven by a Session): SETTINGS and their
   * ACKs, the DATA it spends and the WINDOW_UPDATEs it grants on the connection.
   */
  observeRead(f: Frame): void {
    switch (f.type) {
      case FrameType.SETTINGS:
        if ('payload' in f) return;
        if (f.flags & Flag.ACK) this.settingsAcknowledged();
        else for (const e of f.settings) this.settingReceived(e.id, e.value);
        return;
      case FrameType.DATA:
        if (!('payload' in f)) this.recvWindow -= f.length ?? f.data.length + (f.padLength === undefined ? 0 : f.padLength + 1);
        return;
      case FrameType.WINDOW_UPDATE:
        if (!('payload' in f) && f.streamId === 0) this.sendWindow += f.windowSizeIncrement;
        return;
    }
  }

  /** Follow a frame written to the peer: our SETTINGS, the DATA we spend, the WINDOW_UPDATEs we grant. */
  observeWritten(f: Frame): void {
    switch (f.type) {
      case FrameType.SETTINGS:
        if (!('payload' in f) && !(f.flags & Flag.ACK)) this.settingsSent(f.settings);
        return;
      case FrameType.DATA:
        if (!('payload' in f)) this.sendWindow -= f.data.length + (f.padLength === undefined ? 0 : f.padLength + 1);
        return;
      case FrameType.WINDOW_UPDATE:
        if (!('payload' in f) && f.streamId === 0) this.recvWindow += f.windowSizeIncrement;
        return;
    }
  }

  private emit(change: SettingsChange): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i];
      if (typeof l === 'function') l(change);
      else l.settingsChanged(change);
    }
  }
}

/** What the context binders need from an HPACK decoder. */
export interface TableSizedDecoder {
  setMaxTableSize(n: number): void;
}

/** What the context binders need from an HPACK encoder. */
export interface TableSizedEncoder {
  setPeerMaxTableSize(n: number): void;
}

/*
 * The HPACK binders first bring the codec to the context's current table size when that is no
 * longer the protocol's initial 4096: a layer may be made after SETTINGS went by (an RxJS operator
 * makes its stage when it is subscribed), and must start from what is in force. (The frame-size
 * layers start from the context's value in their constructors, where an explicit maxFrameSize wins.)
 */

/** What bindMaxFrameSize can call instead of a function: a stage's own setter. */
export interface FrameSized {
  setMaxFrameSize(n: number): void;
}

/** bindDecoder's subscriber. */
class DecoderBinding implements SettingsSubscriber {
  constructor(private readonly decoder: TableSizedDecoder) {}

  settingsChanged(c: SettingsChange): void {
    if (c.side !== 'local' || c.id !== Setting.HEADER_TABLE_SIZE) return;
    if (c.min !== undefined) this.decoder.setMaxTableSize(c.min);
    this.decoder.setMaxTableSize(c.value);
  }
}

/** bindEncoder's subscriber. */
class EncoderBinding implements SettingsSubscriber {
  constructor(private readonly encoder: TableSizedEncoder) {}

  settingsChanged(c: SettingsChange): void {
    if (c.side === 'remote' && c.id === Setting.HEADER_TABLE_SIZE) this.encoder.setPeerMaxTableSize(c.value);
  }
}

/** bindMaxFrameSize's subscriber. */
class MaxFrameSizeBinding implements SettingsSubscriber {
  constructor(
    private readonly side: 'local' | 'remote',
    private readonly apply: ((n: number) => void) | FrameSized,
  ) {}

  settingsChanged(c: SettingsChange): void {
    if (c.side !== this.side || c.id !== Setting.MAX_FRAME_SIZE) return;
    const apply = this.apply;
    if (typeof apply === 'function') apply(c.value);
    else apply.setMaxFrameSize(c.value);
  }
}

/** Keep a decoder's table limit at our acknowledged SETTINGS_HEADER_TABLE_SIZE. */
export function bindDecoder(ctx: ConnectionContext, decoder: TableSizedDecoder): () => void {
  if (ctx.local.headerTableSize !== DEFAULT_HEADER_TABLE_SIZE) decoder.setMaxTableSize(ctx.local.headerTableSize);
  return ctx.subscribe(new DecoderBinding(decoder));
}

/** Keep an encoder's table size within the peer's SETTINGS_HEADER_TABLE_SIZE. */
export function bindEncoder(ctx: ConnectionContext, encoder: TableSizedEncoder): () => void {
  if (ctx.remote.headerTableSize !== DEFAULT_HEADER_TABLE_SIZE) encoder.setPeerMaxTableSize(ctx.remote.headerTableSize);
  return ctx.subscribe(new EncoderBinding(encoder));
}

/**
 * Call `apply` (a function, or an object's `setMaxFrameSize`) with each new
 * SETTINGS_MAX_FRAME_SIZE of `side` (local: what we accept; remote: what we send).
 */
export function bindMaxFrameSize(ctx: ConnectionContext, side: 'local' | 'remote', apply: ((n: number) => void) | FrameSized): () => void {
  return ctx.subscribe(new MaxFrameSizeBinding(side, apply));
}
