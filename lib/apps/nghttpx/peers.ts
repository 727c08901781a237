/**
 * The client's address as the frontends report it (logs, X-Forwarded-For, Forwarded, affinity):
 * the PROXY protocol header's source where a `proxyproto` frontend read one, else the socket's
 * own peer. Our own record, so no Node internal (a socket's cached `_peername`) is overwritten.
 */
import type { Duplex } from 'stream';

/** A client address and port. */
export interface Peer {
  address: string | undefined;
  port: number | undefined;
}

/** What a socket (net or TLS) tells of its connection. */
interface SocketAddresses {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
}

/**
 * Peers recorded by `proxyproto` frontends. A TLS frontend serves a TLSSocket that Node builds
 * over the raw TCP socket the header was read from, so records are found by the socket object
 * (cleartext) and by the TCP connection's four addresses, which both sockets report alike (TLS).
 */
export class PeerRecords {
  private readonly bySocket = new WeakMap<object, Peer>();
  private readonly byConnection = new Map<string, Peer>();

  /** Record `peer` as the client of `socket` until the socket closes. */
  record(socket: Duplex, peer: Peer): void {
    this.bySocket.set(socket, peer);
    const key = connectionKey(socket);
    if (key === undefined) return;
    this.byConnection.set(key, peer);
    socket.once('close', () => {
      if (this.byConnection.get(key) === peer) this.byConnection.delete(key);
    });
  }

  /** The client of `socket`: the recorded one, else the socket's own peer. */
  of(socket: Duplex): Peer {
    const recorded = this.bySocket.get(socket) ?? this.recordedFor(socket);
    if (recorded) return recorded;
    const s = socket as SocketAddresses;
    return { address: s.remoteAddress, port: s.remotePort };
  }

  private recordedFor(socket: Duplex): Peer | undefined {
    if (this.byConnection.size === 0) return undefined;
    const key = connectionKey(socket);
    return key === undefined ? undefined : this.byConnection.get(key);
  }
}

/** The TCP connection's four addresses; undefined where there are none (a UNIX socket). */
function connectionKey(socket: Duplex): string | undefined {
  const s = socket as SocketAddresses;
  if (s.remoteAddress === undefined || s.remotePort === undefined) return undefined;
  return `${s.localAddress}|${s.localPort}|${s.remoteAddress}|${s.remotePort}`;
}
