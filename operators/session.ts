/**
 * The session layer in the two shapes every layer has: a Node Duplex (peer bytes in, our bytes
 * out; pipe a socket through it) and an RxJS operator (peer bytes -> session events). Thin: the
 * session (lib/protocol/session) owns all state; lib/transport/connection.ts is the full-featured
 * socket binding (per-stream byte streams, timers, graceful close).
 */
import { Duplex } from 'stream';
import { Observable, OperatorFunction } from 'rxjs';
import { Session } from '../lib/protocol/session/session';
import type { SessionEvent, SessionOptions } from '../lib/protocol/session/session';

/** Session options without the callbacks the adapters supply. */
export type SessionLayerOptions = Omit<SessionOptions, 'onEvent' | 'onWantWrite'>;

/** A Duplex around a Session; `session` gives commands, 'session-event' carries every event. */
export interface SessionDuplex extends Duplex {
  readonly session: Session;
}

/**
 * The session as a Duplex: write the peer's bytes into it, read (or pipe) the bytes to send out of
 * it. Backpressure: bytes are pulled from the session only when the readable side wants more.
 * Every event is emitted as 'session-event' (and passed to `onEvent` if given, synchronously).
 *
 * ```ts
 * const d = sessionDuplex({ role: 'server' }, (ev) => { if (ev.type === 'requestReceived') ... });
 * socket.pipe(d).pipe(socket);
 * ```
 */
export function sessionDuplex(opts: SessionLayerOptions, onEvent?: (ev: SessionEvent) => void): SessionDuplex {
  let wantMore = false;
  let ending = false;
  // The Duplex exists first: the session emits events (its SETTINGS frameSent) while constructing.
  let session: Session;
  const d = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      session.receive(chunk);
      cb();
    },
    final(cb) {
      session.receiveEnd();
      cb();
    },
    read() {
      wantMore = true;
      pull();
    },
  }) as SessionDuplex;
  const pull = () => {
    while (wantMore) {
      const buf = session.dataToSend(65536 * 4);
      if (buf === null) {
        // The connection is over and its last bytes (GOAWAY) are out: end the readable side.
        if (ending) {
          ending = false;
          d.push(null);
        }
        return;
      }
      wantMore = d.push(buf);
    }
  };
  session = new Session({
    ...opts,
    onEvent: (ev) => {
      onEvent?.(ev);
      d.emit('session-event', ev);
      if (ev.type === 'connectionTerminated') {
        ending = true;
        queueMicrotask(pull);
      }
    },
    onWantWrite: () => queueMicrotask(pull),
  });
  Object.defineProperty(d, 'session', { value: session, enumerable: true });
  return d;
}

/**
 * The session as an RxJS operator: each subscription makes a Session, feeds it the source's byte
 * chunks and emits its events. Bytes to send go to `write` (call it with the socket's write).
 * RxJS has no backpressure, so this shape suits tests, monitors and small tools; servers use
 * Http2Connection.
 */
export function sessionEvents(
  opts: SessionLayerOptions & { write: (bytes: Buffer) => void; session?: (s: Session) => void },
): OperatorFunction<Buffer, SessionEvent> {
  return (source) =>
    new Observable<SessionEvent>((subscriber) => {
      let scheduled = false;
      const { write, session: onSession, ...sopts } = opts;
      const flush = () => {
        scheduled = false;
        for (let b = session.dataToSend(); b !== null; b = session.dataToSend()) write(b);
      };
      const session = new Session({
        ...sopts,
        onEvent: (ev) => subscriber.next(ev),
        onWantWrite: () => {
          if (!scheduled) {
            scheduled = true;
            queueMicrotask(flush);
          }
        },
      });
      onSession?.(session);
      flush();
      return source.subscribe({
        next: (chunk) => session.receive(chunk),
        error: (err) => subscriber.error(err),
        complete: () => {
          session.receiveEnd();
          flush();
          subscriber.complete();
        },
      });
    });
}
