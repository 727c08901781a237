/**
 * Our SETTINGS as data: the defaults a Session advertises, which entries go on the wire, and the
 * SETTINGS payload an h2c Upgrade carries in HTTP2-Settings.
 */
import { Setting } from '../frame/constants';
import type { SettingEntry } from '../frame/types';
import { LocalSettings, RFC_INITIAL_SETTINGS, SessionLimits } from './types';

/**
 * A copy of `s` as an object literal: every field in the object itself. A spread copy
 * (`{ ...RFC_INITIAL_SETTINGS }`) keeps only its first four fields in the object and the rest in
 * a separate property array (~70 octets more per copy, two per connection).
 */
export function copySettings(s: Readonly<LocalSettings>): LocalSettings {
  return {
    headerTableSize: s.headerTableSize,
    enablePush: s.enablePush,
    maxConcurrentStreams: s.maxConcurrentStreams,
    initialWindowSize: s.initialWindowSize,
    maxFrameSize: s.maxFrameSize,
    maxHeaderListSize: s.maxHeaderListSize,
    enableConnectProtocol: s.enableConnectProtocol,
    noRfc7540Priorities: s.noRfc7540Priorities,
  };
}

/** A copy of `l` with every field in the object itself (see {@link copySettings}): one per connection. */
export function copyLimits(l: Readonly<SessionLimits>): SessionLimits {
  return {
    maxHeaderListSize: l.maxHeaderListSize,
    maxContinuations: l.maxContinuations,
    maxConcurrentStreams: l.maxConcurrentStreams,
    maxQueuedControlFrames: l.maxQueuedControlFrames,
    resetPerSecond: l.resetPerSecond,
    resetBurst: l.resetBurst,
    pingPerSecond: l.pingPerSecond,
    pingBurst: l.pingBurst,
    settingsPerSecond: l.settingsPerSecond,
    settingsBurst: l.settingsBurst,
    priorityPerSecond: l.priorityPerSecond,
    priorityBurst: l.priorityBurst,
    emptyDataPerSecond: l.emptyDataPerSecond,
    emptyDataBurst: l.emptyDataBurst,
    maxClosedStreamsRemembered: l.maxClosedStreamsRemembered,
    maxPendingRequests: l.maxPendingRequests,
  };
}

/** LocalSettings field -> SETTINGS identifier, in the order entries are sent. */
export const SETTING_KEYS: readonly (readonly [keyof LocalSettings, number])[] = [
  ['headerTableSize', Setting.HEADER_TABLE_SIZE],
  ['enablePush', Setting.ENABLE_PUSH],
  ['maxConcurrentStreams', Setting.MAX_CONCURRENT_STREAMS],
  ['initialWindowSize', Setting.INITIAL_WINDOW_SIZE],
  ['maxFrameSize', Setting.MAX_FRAME_SIZE],
  ['maxHeaderListSize', Setting.MAX_HEADER_LIST_SIZE],
  ['enableConnectProtocol', Setting.ENABLE_CONNECT_PROTOCOL],
  ['noRfc7540Priorities', Setting.NO_RFC7540_PRIORITIES],
];

const SETTING_ID = Object.fromEntries(SETTING_KEYS) as Record<keyof LocalSettings, number>;

/** Default settings we advertise (anything not set stays at the RFC initial value). */
export function defaultLocalSettings(role: 'client' | 'server', limits: SessionLimits): LocalSettings {
  return {
    ...RFC_INITIAL_SETTINGS,
    enablePush: role === 'client',
    maxConcurrentStreams: limits.maxConcurrentStreams,
  };
}

/**
 * Our settings as SETTINGS entries: those explicitly given, in the order the caller's object lists
 * them (so a tool can send them in its own order, as nghttp and nghttpd do), then those that
 * differ from the RFC initial values, by identifier.
 */
export function settingsEntries(s: LocalSettings, given: Partial<LocalSettings>, role: 'client' | 'server'): SettingEntry[] {
  const out: SettingEntry[] = [];
  const add = (key: keyof LocalSettings, explicit: boolean) => {
    const id = SETTING_ID[key];
    // RFC 9113 section 6.5.2: "A server MUST NOT explicitly set this value to 1. A server MAY
    // choose to omit this setting when it sends a SETTINGS frame, but if a server does include a
    // value, it MUST be 0."
    if (key === 'enablePush' && role === 'server' && given.enablePush !== false) return;
    const value = key === 'enablePush' && role === 'server' ? false : s[key];
    const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    if (!Number.isFinite(v)) return;
    const init = RFC_INITIAL_SETTINGS[key];
    const iv = typeof init === 'boolean' ? (init ? 1 : 0) : init;
    if (explicit || v !== iv) out.push({ id, value: v });
  };
  const done = new Set<string>();
  for (const key of Object.keys(given) as (keyof LocalSettings)[]) {
    if (given[key] === undefined || !(key in SETTING_ID)) continue;
    done.add(key);
    add(key, true);
  }
  for (const [key] of SETTING_KEYS) if (!done.has(key)) add(key, false);
  return out;
}

/** The frame codec's SETTINGS payload encoder, e.g. for the HTTP2-Settings header of an h2c Upgrade. */
export { encodeSettingsPayload } from '../frame/encode';
