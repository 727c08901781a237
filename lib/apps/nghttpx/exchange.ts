/**
 * The answer half every backend exchange shares (HTTP/1.1: backend-http1.ts, h2: backends.ts): one
 * outcome (the response head or a failure, the first one wins) handed to one
 * {@link ExchangeListener} (forwarding's per-request object: no closure or Promise per request),
 * with the callback and Promise forms made on demand for the paths that want them.
 */
import type { BackendExchange, BackendFailure, BackendResponse, ExchangeListener } from './backends';
import type { Field } from './request';
import { Watched } from './timeouts';

/** `err` marked with the phase it failed in (a phase already set stays), for every backend kind. */
export function failure(err: Error, phase: 'connect' | 'read' | 'request'): BackendFailure {
  const e = err as BackendFailure;
  if (!e.phase) e.phase = phase;
  return e;
}

/**
 * A backend exchange's outcome and who hears it. A {@link Watched} so that an exchange can be
 * timed by a {@link WatchQueue} (the h2 backend's read timeout) without a second object; the
 * defaults here watch nothing.
 */
export abstract class BaseExchange extends Watched implements BackendExchange {
  /** The response head or the failure, once settled. */
  private outcome: BackendResponse | BackendFailure | undefined;
  private settled = false;
  /** Who hears the outcome (and an h2 backend's pushes, if it has `pushed`). */
  protected listener: ExchangeListener | undefined;
  private promise: Promise<BackendResponse> | undefined;

  /** Give up: close the backend stream / socket. */
  abstract abort(): void;

  /** The response head, as a Promise (made on first use; never an unhandled rejection). */
  get response(): Promise<BackendResponse> {
    if (!this.promise) {
      this.promise = new Promise<BackendResponse>((resolve, reject) => this.onAnswer(resolve, reject));
      this.promise.catch(() => undefined);
    }
    return this.promise;
  }

  onAnswer(ok: (res: BackendResponse) => void, fail: (err: BackendFailure) => void): void {
    this.listen({ answered: ok, failed: fail, pushed: this.listener?.pushed?.bind(this.listener) });
  }

  listen(l: ExchangeListener): void {
    if (this.settled) {
      const o = this.outcome!;
      if (o instanceof Error) l.failed(o);
      else l.answered(o);
      return;
    }
    const l0 = this.listener;
    this.listener = l0
      ? {
          answered: (r) => (l0.answered(r), l.answered(r)),
          failed: (e) => (l0.failed(e), l.failed(e)),
          pushed: l.pushed ?? l0.pushed?.bind(l0),
        }
      : l;
  }

  onPush(handler: (headers: Field[], exchange: BackendExchange) => void): void {
    const l = this.listener;
    if (l) l.pushed = handler;
    else this.listener = { answered: () => undefined, failed: () => undefined, pushed: handler };
  }

  /** The outcome (the first one wins), to the listener if there is one yet. */
  protected settle(o: BackendResponse | BackendFailure): void {
    if (this.settled) return;
    this.settled = true;
    this.outcome = o;
    const l = this.listener;
    if (!l) return;
    if (o instanceof Error) l.failed(o);
    else l.answered(o);
  }

  /** @internal Watched: a plain deadline (no progress counts). */
  progress(): number {
    return 0;
  }

  /** @internal Watched: nothing waits unless a subclass says so. */
  waiting(): boolean {
    return false;
  }

  /** @internal Watched: nothing to expire unless a subclass says so. */
  expire(): void {}
}
