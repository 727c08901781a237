/** HTTP semantics over HTTP/2 (RFC 9113 section 8): message validation, RFC 9218 priority parsing, CONNECT tunnels (RFC 8441). */
export * from './semantics';
export * from './connect';
