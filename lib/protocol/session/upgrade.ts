/**
 * The h2c Upgrade (RFC 7540 section 3.2) on the session side: the client's HTTP2-Settings payload
 * applied as its first SETTINGS, and stream 1 made from the HTTP/1.1 request.
 */
import { ApiMisuseError } from '../errors';
import { parseFrame } from '../frame/codec';
import { FrameType } from '../frame/constants';
import type { HeaderField, SettingsFrame } from '../frame/types';
import type { InboundFlow } from './inbound-flow';
import type { SettingsSync } from './settings-sync';
import { Stream } from './stream';
import { StreamState } from './stream-state';

/** What the upgrade needs from its Session. */
export interface UpgradeHost {
  readonly role: 'client' | 'server';
  readonly settings: SettingsSync;
  readonly flow: InboundFlow;
}

/**
 * Server: apply `http2SettingsPayload` as the client's SETTINGS and return stream 1 (half-closed
 * remote unless `endStream` is false). Client: return stream 1 half-closed (local). The caller
 * registers the stream and counts it.
 */
export function upgradeStream(host: UpgradeHost, http2SettingsPayload: Buffer, requestHeaders: HeaderField[], endStream: boolean): Stream {
  if (host.role === 'server') {
    try {
      // RFC 7540 section 3.2.1: the HTTP2-Settings payload is applied as the client's first
      // SETTINGS; the 101 response acknowledges it (no SETTINGS ACK frame is sent for it). It is
      // read by the codec's SETTINGS parser (length a multiple of 6, each value checked).
      const frame = parseFrame(FrameType.SETTINGS, 0, 0, http2SettingsPayload) as SettingsFrame;
      host.settings.recvSettings(frame, true);
    } catch (err) {
      throw new ApiMisuseError(`upgrade: bad HTTP2-Settings: ${(err as Error).message}`);
    }
    const s = new Stream(1, false, host.settings.remote.initialWindowSize, host.flow.streamRecvWindowSize);
    s.state = endStream ? StreamState.HALF_CLOSED_REMOTE : StreamState.OPEN;
    s.counted = true;
    s.headersDone = true;
    return s;
  }
  const s = new Stream(1, true, host.settings.remote.initialWindowSize, host.flow.streamRecvWindowSize);
  s.state = StreamState.HALF_CLOSED_LOCAL;
  s.counted = true;
  for (const [n, v] of requestHeaders) if (n === ':method' && v === 'HEAD') s.headRequest = true;
  return s;
}
