/** The 2014-era nghttpx flags, kept for their users: each maps onto today's parameters and logs the reference's deprecation notice. */
import type { OptionDef } from './option-table';
import { int, yes } from './option-values';

/** A deprecated mode flag: recorded, mapped after reading (see options.ts). */
function legacyMode(long: string, notice: string): OptionDef {
  return {
    long,
    group: 'Deprecated',
    effective: true,
    deprecated: notice,
    apply: (_o, v, c) => void (yes(v) ? c.legacy.add(long) : c.legacy.delete(long)),
  };
}

/** `*-window-bits=N` (2014): a window of 2^N-1 bytes. */
function windowBits(
  long: string,
  target: 'frontendHttp2WindowSize' | 'frontendHttp2ConnectionWindowSize' | 'backendHttp2WindowSize' | 'backendHttp2ConnectionWindowSize',
  now: string,
): OptionDef {
  return {
    long,
    arg: '<N>',
    group: 'Deprecated',
    effective: true,
    deprecated: `${long}: deprecated.  Use ${now}`,
    apply: (o, v) => (o[target] = 2 ** int(v, long, 0, 31) - 1),
  };
}

/** The deprecated options, after the reference's own in the table. */
export const DEPRECATED_OPTIONS: OptionDef[] = [
  // The 2014 README's modes and flags: accepted, mapped onto today's parameters.
  legacyMode('http2-bridge', 'http2-bridge: deprecated.  Use backend=<addr>,<port>;;proto=h2;tls'),
  legacyMode('client', 'client: deprecated.  Use frontend=<addr>,<port>;no-tls, backend=<addr>,<port>;;proto=h2;tls'),
  legacyMode(
    'client-proxy',
    'client-proxy: deprecated.  Use http2-proxy, frontend=<addr>,<port>;no-tls and backend=<addr>,<port>;;proto=h2;tls',
  ),
  legacyMode('frontend-no-tls', 'frontend-no-tls: deprecated.  Use no-tls keyword in frontend'),
  legacyMode('backend-no-tls', 'backend-no-tls: deprecated.  backend connection is not encrypted by default.  See also backend-tls'),
  legacyMode('backend-tls', 'backend-tls: deprecated.  Use tls keyword in backend instead.'),
  windowBits('frontend-http2-window-bits', 'frontendHttp2WindowSize', 'frontend-http2-window-size'),
  windowBits('frontend-http2-connection-window-bits', 'frontendHttp2ConnectionWindowSize', 'frontend-http2-connection-window-size'),
  windowBits('backend-http2-window-bits', 'backendHttp2WindowSize', 'backend-http2-window-size'),
  windowBits('backend-http2-connection-window-bits', 'backendHttp2ConnectionWindowSize', 'backend-http2-connection-window-size'),
  {
    long: 'backend-ipv4',
    group: 'Deprecated',
    effective: true,
    deprecated: 'backend-ipv4: deprecated.  Use backend-address-family=IPv4 instead.',
    apply: (o, v) => void (yes(v) && (o.backendAddressFamily = 'IPv4')),
  },
  {
    long: 'backend-ipv6',
    group: 'Deprecated',
    effective: true,
    deprecated: 'backend-ipv6: deprecated.  Use backend-address-family=IPv6 instead.',
    apply: (o, v) => void (yes(v) && (o.backendAddressFamily = 'IPv6')),
  },
  {
    long: 'backend-http1-connections-per-host',
    arg: '<N>',
    group: 'Deprecated',
    effective: true,
    deprecated: 'backend-http1-connections-per-host: deprecated.  Use backend-connections-per-host instead.',
    apply: (o, v) => (o.backendConnectionsPerHost = int(v, 'backend-http1-connections-per-host', 1, 2 ** 31 - 1)),
  },
  {
    long: 'backend-http1-connections-per-frontend',
    arg: '<N>',
    group: 'Deprecated',
    effective: true,
    deprecated: 'backend-http1-connections-per-frontend: deprecated.  Use backend-connections-per-frontend instead.',
    apply: (o, v) => (o.backendConnectionsPerFrontend = int(v, 'backend-http1-connections-per-frontend', 0, 2 ** 31 - 1)),
  },
  {
    long: 'no-host-rewrite',
    group: 'Deprecated',
    effective: true,
    deprecated:
      'no-host-rewrite: deprecated.  :authority and host header fields are NOT altered by default.  To rewrite these headers, use --host-rewrite option.',
    apply: () => undefined,
  },
  {
    long: 'backend-tls-sni-field',
    arg: '<HOST>',
    group: 'Deprecated',
    effective: true,
    deprecated: 'backend-tls-sni-field: deprecated.  Use sni keyword in --backend option.',
    apply: (o, v) => (o.backendTlsSniField = v),
  },
];
