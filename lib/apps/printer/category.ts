/**
 * A stand-in for the session's knowledge of HEADERS categories, for observers that see frames
 * but run no session (the sniffer, trace tools): classifies each HEADERS frame the way nghttp2
 * does from stream ids and from what each stream has already carried.
 */
import { FrameType } from '../../protocol/frame/constants';
import type { Frame } from '../../protocol/frame/types';
import type { HeadersCategory } from '../../protocol/session/types';

/** Tracks which streams have opened and answered; see the module comment. */
export class HeadersCategoryTracker {
  private readonly requested = new Set<number>();
  private readonly answered = new Set<number>();
  private readonly promised = new Set<number>();

  /**
   * The category of `frame` (undefined for frames other than HEADERS), given whether it travels
   * from the client to the server. Call once per frame, in wire order.
   */
  categorize(frame: Frame, fromClient: boolean): HeadersCategory | undefined {
    if (frame.type === FrameType.PUSH_PROMISE && 'promisedStreamId' in frame) {
      this.promised.add(frame.promisedStreamId);
      return undefined;
    }
    if (frame.type !== FrameType.HEADERS) return undefined;
    const id = frame.streamId;
    if (fromClient) {
      if (this.requested.has(id)) return 'headers';
      this.requested.add(id);
      return 'request';
    }
    if (this.answered.has(id)) return 'headers';
    this.answered.add(id);
    return id % 2 === 0 || this.promised.has(id) ? 'push_response' : 'response';
  }
}
