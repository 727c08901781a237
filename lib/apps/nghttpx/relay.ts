/**
 * A backend body relayed onto a frontend with no Readable, Writable or pipe (the relay's fast
 * path, `ClientSide.relay`): each chunk goes to the frontend as it arrives, and its bytes go back
 * to the source (its flow-control window, its socket reads) once the frontend took them, so a
 * slow client stops the backend. One per request; each frontend says how it sends, waits and ends.
 */
import type { BodySink, BodySource } from './request';

/** The shared half of a frontend's relay (HTTP/2 stream, HTTP/1.1 answer). */
export abstract class BodyRelay implements BodySink {
  private bytes = 0;
  /** Bytes passed on whose release the source has not had yet. */
  private held = 0;
  private waiting = false;
  private over = false;
  /** `onWritable` bound, made the first time the relay has to wait. */
  private onWritableFn: (() => void) | undefined;

  constructor(
    private readonly source: BodySource,
    private readonly done: (bytes: number, complete: boolean) => void,
  ) {}

  /** Send `chunk` to the client: true when it was taken at once (its bytes go back now), false to wait for {@link whenWritable}. */
  protected abstract send(chunk: Buffer): boolean;
  /** Call `cb` once, when the client takes more (or is gone: the source must not wait on a client that left). */
  protected abstract whenWritable(cb: () => void): void;
  /** End the client's body; false when it could not be ended whole. */
  protected abstract finish(): boolean;

  data(chunk: Buffer): void {
    const n = chunk.length;
    this.bytes += n;
    if (this.send(chunk)) return this.source.release(n);
    this.held += n;
    if (!this.waiting) {
      this.waiting = true;
      this.whenWritable((this.onWritableFn ??= () => this.onWritable()));
    }
  }

  private onWritable(): void {
    // Also when the client is gone (an error): the source's bytes must come back either way.
    this.waiting = false;
    const n = this.held;
    this.held = 0;
    if (n > 0) this.source.release(n);
  }

  end(): void {
    if (this.over) return;
    this.over = true;
    this.done(this.bytes, this.finish());
  }

  abort(): void {
    if (this.over) return;
    this.over = true;
    const n = this.held;
    this.held = 0;
    if (n > 0) this.source.release(n);
    // The backend failed mid-body: `done` tells forwarding, which resets or drops the client.
    this.done(this.bytes, false);
  }
}
