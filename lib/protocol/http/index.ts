/** HTTP semantics over HTTP/2 (RFC 9113 section 8): message validation and RFC 9218 priority parsing. */
export * from './semantics';
