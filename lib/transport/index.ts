/**
 * The transport: the session on real sockets. {@link Http2Connection} drives one sans-IO Session
 * over a socket (backpressure both ways, coalesced writes); `listen()`/`acceptor()` accept h2c with
 * prior knowledge, h2c Upgrade, TLS with ALPN and HTTP/1.1 on one port; `connect()` dials the same
 * ways; {@link Http2Stream} carries one stream's body as a Node stream; RFC 8441 tunnels are Duplexes.
 *
 * @module transport
 */
export * from './connection';
export * from './stream';
export * from './client';
export * from './server';
export * from './http1';
export * from './tunnel';
export * from './throttle';
