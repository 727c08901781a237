/**
 * The writing side's field blocks: it owns the HPACK encoder and encodes each header list at the
 * moment its frame is queued, in wire order (RFC 7541 section 2.2: the encoder and decoder
 * contexts must see blocks in the same order), then queues HEADERS / PUSH_PROMISE plus the
 * CONTINUATIONs the peer's SETTINGS_MAX_FRAME_SIZE requires.
 */
import { ApiMisuseError, ConnectionError, ErrorCode } from '../errors';
import { Flag, FrameType } from '../frame/constants';
import type { PaddingPolicy } from '../frame/padding';
import type { HeaderField, HeadersFrame, PrioritySpec, PushPromiseFrame } from '../frame/types';
import type { HpackEncoder } from '../hpack/encoder';
import { representablePriority } from './output-queue';
import type { OutputQueue } from './output-queue';
import type { HeadersCategory, LocalSettings } from './types';

/** Encodes and queues outgoing field blocks; see the module comment. */
export class HeaderSender {
  constructor(
    readonly encoder: HpackEncoder,
    private readonly output: OutputQueue,
    /** The peer's settings (its SETTINGS_MAX_FRAME_SIZE bounds each frame). */
    private readonly remote: LocalSettings,
    private readonly padding: PaddingPolicy | undefined,
    /** Ends the connection when the encoder fails (its context is then out of step with the peer's). */
    /** Ends the connection when the encoder fails (the session). */
    private readonly failer: { connectionError(err: ConnectionError, cause?: Error): void },
  ) {}

  /**
   * @internal Whether the encoder's last block encodes the response list the session's outgoing
   * checks remember (respond() encodes right after checking; anything else encoded, or trailers
   * checked now and encoded later, clears it).
   */
  checkedIsLast = false;

  /**
   * Queue a HEADERS frame (plus CONTINUATIONs) carrying `headers`. `repeatsChecked`: respond()
   * found `headers` equal (names and values) to the response list it checked last, so when that
   * list is also the encoder's last one, its block is sent again without comparing the strings a
   * second time (a proxy's equal strings from different backend connections compare by content).
   */
  headers(
    id: number,
    headers: HeaderField[],
    endStream: boolean,
    priority: PrioritySpec | undefined,
    category: HeadersCategory,
    repeatsChecked?: boolean,
  ): void {
    const again = repeatsChecked === true && this.checkedIsLast;
    this.checkedIsLast = false;
    const block = again ? this.encodeAgain(headers) : this.encode(headers);
    // A response list was checked just before this block was made: the checks and the encoder now remember the same list.
    if (repeatsChecked !== undefined) this.checkedIsLast = true;
    const flags = Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0);
    const output = this.output;
    if (priority === undefined && this.padding === undefined && !output.frameEvents && block.length <= this.remote.maxFrameSize) {
      // Hot path (every response): one plain frame, and no frame object for events nobody asked for.
      output.plainHeaders(id, flags, block);
      return;
    }
    if (
      priority !== undefined &&
      this.padding === undefined &&
      !output.frameEvents &&
      block.length + 5 <= this.remote.maxFrameSize &&
      representablePriority(priority)
    ) {
      // Hot path (every request of nghttp's): the same with the priority's 5 octets.
      output.prioritizedHeaders(id, flags, priority, block);
      return;
    }
    const frame: HeadersFrame = { type: FrameType.HEADERS, flags, streamId: id, fragment: block };
    if (priority !== undefined) frame.priority = priority;
    this.output.headerBlock(frame, block, priority !== undefined ? 5 : 0, headers, category, this.remote.maxFrameSize, this.padding);
  }

  /** Queue a PUSH_PROMISE on `parentStreamId` promising `promisedStreamId` for `requestHeaders`. */
  pushPromise(parentStreamId: number, promisedStreamId: number, requestHeaders: HeaderField[]): void {
    this.checkedIsLast = false;
    const block = this.encode(requestHeaders);
    const frame: PushPromiseFrame = {
      type: FrameType.PUSH_PROMISE,
      flags: Flag.END_HEADERS,
      streamId: parentStreamId,
      promisedStreamId,
      fragment: block,
    };
    this.output.headerBlock(frame, block, 4, requestHeaders, 'headers', this.remote.maxFrameSize, this.padding);
  }

  /**
   * HPACK-encode a header list. An encoder failure leaves its context out of step with the peer's
   * decoder, so the connection cannot go on: it ends with GOAWAY INTERNAL_ERROR, and the command
   * that asked throws.
   */
  private encode(headers: HeaderField[]): Buffer {
    try {
      return this.encoder.encode(headers);
    } catch (err) {
      this.failer.connectionError(
        new ConnectionError(ErrorCode.INTERNAL_ERROR, `HPACK encoder failed: ${(err as Error).message}`),
        err as Error,
      );
      throw new ApiMisuseError(`could not encode the header list: ${(err as Error).message}`);
    }
  }

  /** {@link encode} for a list known to have the names and values of the encoder's last one. */
  private encodeAgain(headers: HeaderField[]): Buffer {
    return this.encoder.lastBlockFor(headers) ?? this.encode(headers);
  }
}
