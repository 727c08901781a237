/**
 * A small scripted HTTP/2 server that misbehaves on purpose, for specs of what our clients do
 * against it (nghttp, h2load, HTTP2Client). It speaks raw bytes over cleartext TCP (h2c prior
 * knowledge), with no library code on its side: each case is a few hand-built frames, so the
 * client is judged against the wire, not against itself. Every loop it runs is bounded in bytes
 * and time, and close() destroys every connection.
 */
import * as net from 'net';
import { block as literals, clientFrames, F, frame, settings, T } from './wire';

/** What the server does wrong. */
export type Misbehaviour =
  /** Bytes that are no frame at all instead of the server preface. */
  | 'garbage'
  /** SETTINGS_ENABLE_PUSH = 2 (RFC 9113 section 6.5.2: PROTOCOL_ERROR). */
  | 'invalid-settings'
  /** A response HEADERS without END_HEADERS, then CONTINUATION frames that never end. */
  | 'endless-continuation'
  /** One small header block that decodes to tens of MiB (a large table entry indexed over and over). */
  | 'hpack-bomb'
  /** A frame header announcing more payload than ever comes, then FIN. */
  | 'truncated-frame'
  /** A connection WINDOW_UPDATE that takes the window past 2^31-1 (FLOW_CONTROL_ERROR). */
  | 'window-overflow'
  /** A response HEADERS without :status. */
  | 'no-status'
  /** DATA on the request's stream before any HEADERS. */
  | 'data-before-headers'
  /** SETTINGS then GOAWAY(last stream 0) before any request is answered, then close. */
  | 'immediate-goaway'
  /** Accepts and never sends a byte. */
  | 'silence'
  /** A 200 whose body never ends, sent as fast as the client's windows allow. */
  | 'endless-body'
  /** A 200 whose body drips one byte every 100 ms and never ends. */
  | 'drip';

/** Every case, in the order the issue lists them. */
export const MISBEHAVIOURS: Misbehaviour[] = [
  'garbage',
  'invalid-settings',
  'endless-continuation',
  'hpack-bomb',
  'truncated-frame',
  'window-overflow',
  'no-status',
  'data-before-headers',
  'immediate-goaway',
  'silence',
  'endless-body',
  'drip',
];

/** The most any one connection sends (endless cases stop here even if the client never does). */
const MAX_BYTES_PER_CONNECTION = 64 * 1024 * 1024;

/** A running misbehaving server. */
export interface BadServer {
  readonly port: number;
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Destroy every connection and stop listening. */
  close(): Promise<void>;
}

/** Serve `kind` on 127.0.0.1, port 0. */
export async function startBadServer(kind: Misbehaviour): Promise<BadServer> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, kind, timers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    get accepted() {
      return accepted;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serve(socket: net.Socket, kind: Misbehaviour, timers: Set<NodeJS.Timeout>): void {
  let sent = 0;
  const send = (b: Buffer): boolean => {
    if (socket.destroyed || socket.writableEnded || sent >= MAX_BYTES_PER_CONNECTION) return false;
    sent += b.length;
    return socket.write(b);
  };
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!socket.destroyed) fn();
    }, ms);
    timers.add(t);
  };
  // One 'drain' listener at a time, however many writers wait.
  let drainWaiter: (() => void) | undefined;
  socket.on('drain', () => {
    const w = drainWaiter;
    drainWaiter = undefined;
    w?.();
  });
  const whenDrained = (fn: () => void) => {
    if (!socket.destroyed && sent < MAX_BYTES_PER_CONNECTION) drainWaiter = fn;
  };
  // Endless writers yield to the event loop every so often: the client under test may share it.
  let sinceYield = 0;
  const mustYield = (fn: () => void): boolean => {
    if ((sinceYield += 1) < 64) return false;
    sinceYield = 0;
    setImmediate(() => {
      if (!socket.destroyed) fn();
    });
    return true;
  };
  // The client's flow-control windows, for the one case that must stay within them.
  let initialWindow = 65535;
  let connWindow = 65535;
  const streamWindows = new Map<number, number>();
  let pumping: (() => void) | undefined;

  const hello = () => send(settings([[3, 100]]));

  switch (kind) {
    case 'garbage':
      // No frame: read as a frame header, 'thi' is a 7.6 MB length (FRAME_SIZE_ERROR), and no SETTINGS.
      send(Buffer.from('this is not HTTP/2 at all\r\n'.repeat(40), 'latin1'));
      return;
    case 'invalid-settings':
      send(settings([[2, 2]]));
      return;
    case 'window-overflow':
      hello();
      send(frame(T.WINDOW_UPDATE, 0, 0, Buffer.from([0x7f, 0xff, 0xff, 0xff])));
      return;
    case 'immediate-goaway': {
      hello();
      const p = Buffer.alloc(8);
      p.writeUInt32BE(0, 0);
      p.writeUInt32BE(0, 4); // NO_ERROR: going away, nothing processed
      send(frame(T.GOAWAY, 0, 0, Buffer.concat([p, Buffer.from('going away at once')])));
      socket.end();
      return;
    }
    case 'silence':
      socket.resume();
      return;
    default:
      hello();
  }

  const onRequest = (id: number) => {
    switch (kind) {
      case 'no-status':
        send(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, id, literals([['content-type', 'text/plain']])));
        return;
      case 'data-before-headers':
        send(frame(T.DATA, F.END_STREAM, id, Buffer.from('body before any headers')));
        return;
      case 'truncated-frame':
        send(frame(T.HEADERS, F.END_HEADERS, id, literals([[':status', '200']])));
        // A DATA frame header for 1000 octets, 10 of them, then FIN.
        send(Buffer.concat([frame(T.DATA, 0, id, Buffer.alloc(1000)).subarray(0, 19)]));
        socket.end();
        return;
      case 'hpack-bomb': {
        // One 4000-octet entry into the table, then indexed 16000 times: 16 KiB on the wire,
        // 64 MB once decoded.
        const entry = literals([['x-bomb', 'a'.repeat(4000)]], true);
        const refs = Buffer.alloc(16000, 0x80 | 62);
        const block = Buffer.concat([literals([[':status', '200']]), entry, refs]);
        send(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, id, block.subarray(0, 16384)));
        return;
      }
      case 'endless-continuation': {
        send(frame(T.HEADERS, 0, id, literals([[':status', '200']])));
        const piece = frame(
          T.CONTINUATION,
          0,
          id,
          literals(Array.from({ length: 15 }, (_, i): [string, string] => [`x-c${i}`, 'c'.repeat(1000)])),
        );
        const more = () => {
          while (send(piece)) {
            // Until the socket is full; stops at the byte bound.
            if (mustYield(more)) return;
          }
          whenDrained(more);
        };
        more();
        return;
      }
      case 'endless-body': {
        send(frame(T.HEADERS, F.END_HEADERS, id, literals([[':status', '200']])));
        streamWindows.set(id, initialWindow);
        pumping = () => {
          // Round-robin over the open bodies, 16 KiB at a time, within both windows.
          for (let progress = true; progress; ) {
            progress = false;
            for (const [sid, sw] of streamWindows) {
              const w = Math.min(connWindow, sw, 16384);
              if (w <= 0) continue;
              if (mustYield(() => pumping?.())) return;
              connWindow -= w;
              streamWindows.set(sid, sw - w);
              progress = true;
              if (!send(frame(T.DATA, 0, sid, Buffer.alloc(w, 0x61)))) {
                whenDrained(() => pumping?.());
                return;
              }
            }
          }
        };
        pumping();
        return;
      }
      case 'drip': {
        send(frame(T.HEADERS, F.END_HEADERS, id, literals([[':status', '200']])));
        const drip = () => {
          send(frame(T.DATA, 0, id, Buffer.from('.')));
          later(100, drip);
        };
        drip();
        return;
      }
      default:
        return;
    }
  };

  // Read the client's frames: answer SETTINGS and PING, follow the windows, act on each request.
  let continuing = false;
  socket.on(
    'data',
    clientFrames((type, flags, id, payload) => {
      if (type === T.SETTINGS && !(flags & F.ACK)) {
        for (let i = 0; i + 6 <= payload.length; i += 6) {
          if (payload.readUInt16BE(i) === 4) {
            const v = payload.readUInt32BE(i + 2);
            for (const [sid, w] of streamWindows) streamWindows.set(sid, w + v - initialWindow);
            initialWindow = v;
          }
        }
        send(settings([], F.ACK));
      } else if (type === T.PING && !(flags & F.ACK)) {
        send(frame(T.PING, F.ACK, 0, payload));
      } else if (type === T.WINDOW_UPDATE && payload.length === 4) {
        const inc = payload.readUInt32BE(0) & 0x7fffffff;
        if (id === 0) connWindow += inc;
        else if (streamWindows.has(id)) streamWindows.set(id, streamWindows.get(id)! + inc);
        pumping?.();
      } else if (type === T.RST_STREAM) {
        streamWindows.delete(id);
      } else if (type === T.HEADERS && id % 2 === 1 && !(kind === 'endless-continuation' && continuing)) {
        // CONTINUATION must follow its HEADERS with nothing between: one endless block at a time.
        continuing = kind === 'endless-continuation';
        onRequest(id);
      }
    }),
  );
}
