/**
 * nghttpx's option table: every long option of the reference's `--help` (154), in its groups,
 * each parsing its value into the configuration record, plus the 2014-era flags kept for their
 * users with the reference's deprecation notices. The same table serves the command line and
 * the `name=value` lines of configuration files.
 */
import { OptionSpec, OptionTable } from '../common/argv';
import { parseBackend, parseFrontend, parseHeaderOption, parseProxyUri } from './addresses';
import type { NghttpxOptions } from './config';
import { SYSLOG_FACILITIES } from './log-sinks';
import { DEPRECATED_OPTIONS } from './option-deprecated';
// SIZE (K, M, G) in bytes and DURATION (h, m, s, ms) in milliseconds: the CLI kit's parsers,
// named short here because the table calls them on almost every line.
import { parseDuration as duration, parseSize as size } from '../common/units';
import { altsvc, errorPage, forwardedNode, forwardedParams, int, logLevel, oneOf, tlsVersion, window, yes } from './option-values';

/** What applying one option may need besides its value. */
export interface ApplyContext {
  /** A one-line warning (logged at start-up). */
  warn(msg: string): void;
  /** `include=PATH`: read that file now, at this point of the configuration. */
  include(path: string): void;
  /** Deprecated mode flags seen (`client`, `http2-bridge`...), mapped once everything is read. */
  legacy: Set<string>;
}

/** One option, as the CLI kit's table holds it (`arg`: the value's syntax; undefined for a flag). */
export interface OptionDef extends Omit<OptionSpec<ApplyTarget>, 'apply'> {
  /** The help's group (`Connections`, `Timeout`, ...). */
  group: string;
  /**
   * Whether its behaviour is built. An option that is not is still parsed into the record, and
   * setting it warns "accepted but not yet effective". Whoever builds one flips it here.
   */
  effective: boolean;
  /**
   * Not effective for good: the one-line warning saying why, for a value given (undefined: no
   * warning for that value, e.g. 0 meaning "leave it alone"). Replaces "not yet effective".
   */
  unsupported?: (value: string) => string | undefined;
  /** Repeatable: the command line's uses replace the configuration file's. */
  list?: boolean;
  /** Not in the reference's help: a deprecated flag; its notice is logged when used. */
  deprecated?: string;
  /** Parse `value` into the record (flags get `yes` from the command line). */
  apply(o: NghttpxOptions, value: string, ctx: ApplyContext): void;
}

/** What the kit's table applies an option to. */
export interface ApplyTarget {
  options: NghttpxOptions;
  ctx: ApplyContext;
}

/** Every option, in the reference's order and groups, then the deprecated ones. */
export const OPTIONS: OptionDef[] = [
  {
    long: 'backend',
    short: 'b',
    arg: '(<HOST>,<PORT>|unix:<PATH>)[;[<PATTERN>[:...]][[;<PARAM>]...]',
    group: 'Connections',
    list: true,
    effective: true,
    apply: (o, v, c) => void o.backends.push(parseBackend(v, c.warn)),
  },
  {
    long: 'frontend',
    short: 'f',
    arg: '(<HOST>,<PORT>|unix:<PATH>)[[;<PARAM>]...]',
    group: 'Connections',
    list: true,
    effective: true,
    apply: (o, v, c) => void o.frontends.push(parseFrontend(v, c.warn)),
  },
  { long: 'backlog', arg: '<N>', group: 'Connections', effective: true, apply: (o, v) => (o.backlog = int(v, 'backlog', 0, 2 ** 31 - 1)) },
  {
    long: 'backend-address-family',
    arg: '(auto|IPv4|IPv6)',
    group: 'Connections',
    effective: false,
    apply: (o, v) => (o.backendAddressFamily = oneOf(v, 'backend-address-family', ['auto', 'IPv4', 'IPv6'])),
  },
  {
    long: 'backend-http-proxy-uri',
    arg: '<URI>',
    group: 'Connections',
    effective: true,
    apply: (o, v) => (o.backendHttpProxyUri = parseProxyUri(v)),
  },
  {
    long: 'workers',
    short: 'n',
    arg: '<N>',
    group: 'Performance',
    effective: true,
    apply: (o, v) => (o.workers = int(v, 'workers', 1, 65530)),
  },
  { long: 'single-thread', group: 'Performance', effective: true, apply: (o, v) => (o.singleThread = yes(v)) },
  { long: 'read-rate', arg: '<SIZE>', group: 'Performance', effective: true, apply: (o, v) => (o.readRate = size(v, 'read-rate')) },
  { long: 'read-burst', arg: '<SIZE>', group: 'Performance', effective: true, apply: (o, v) => (o.readBurst = size(v, 'read-burst')) },
  { long: 'write-rate', arg: '<SIZE>', group: 'Performance', effective: true, apply: (o, v) => (o.writeRate = size(v, 'write-rate')) },
  { long: 'write-burst', arg: '<SIZE>', group: 'Performance', effective: true, apply: (o, v) => (o.writeBurst = size(v, 'write-burst')) },
  {
    long: 'worker-read-rate',
    arg: '<SIZE>',
    group: 'Performance',
    effective: true,
    apply: (o, v) => (o.workerReadRate = size(v, 'worker-read-rate')),
  },
  {
    long: 'worker-read-burst',
    arg: '<SIZE>',
    group: 'Performance',
    effective: true,
    apply: (o, v) => (o.workerReadBurst = size(v, 'worker-read-burst')),
  },
  {
    long: 'worker-write-rate',
    arg: '<SIZE>',
    group: 'Performance',
    effective: true,
    apply: (o, v) => (o.workerWriteRate = size(v, 'worker-write-rate')),
  },
  {
    long: 'worker-write-burst',
    arg: '<SIZE>',
    group: 'Performance',
    effective: true,
    apply: (o, v) => (o.workerWriteBurst = size(v, 'worker-write-burst')),
  },
  {
    long: 'worker-frontend-connections',
    arg: '<N>',
    group: 'Performance',
    effective: true,
    apply: (o, v) => (o.workerFrontendConnections = int(v, 'worker-frontend-connections', 0, 2 ** 31 - 1)),
  },
  {
    long: 'backend-connections-per-host',
    arg: '<N>',
    group: 'Performance',
    effective: true,
    apply: (o, v) => (o.backendConnectionsPerHost = int(v, 'backend-connections-per-host', 0, 2 ** 31 - 1)),
  },
  {
    long: 'backend-connections-per-frontend',
    arg: '<N>',
    group: 'Performance',
    effective: true,
    apply: (o, v) => (o.backendConnectionsPerFrontend = int(v, 'backend-connections-per-frontend', 0, 2 ** 31 - 1)),
  },
  {
    long: 'rlimit-nofile',
    arg: '<N>',
    group: 'Performance',
    effective: false,
    unsupported: (v) =>
      Number(v) > 0
        ? 'Node cannot call setrlimit(2), so the open-file limit stays as the process got it (raise it with `ulimit -n` before starting)'
        : undefined,
    apply: (o, v) => (o.rlimitNofile = int(v, 'rlimit-nofile', 0, 2 ** 31 - 1)),
  },
  {
    long: 'rlimit-memlock',
    arg: '<N>',
    group: 'Performance',
    effective: false,
    unsupported: (v) =>
      Number(v) > 0
        ? 'Node cannot call setrlimit(2), so the locked-memory limit stays as the process got it (raise it with `ulimit -l` before starting)'
        : undefined,
    apply: (o, v) => (o.rlimitMemlock = int(v, 'rlimit-memlock', 0, 2 ** 31 - 1)),
  },
  {
    long: 'backend-request-buffer',
    arg: '<SIZE>',
    group: 'Performance',
    effective: false,
    apply: (o, v) => (o.backendRequestBuffer = size(v, 'backend-request-buffer')),
  },
  {
    long: 'backend-response-buffer',
    arg: '<SIZE>',
    group: 'Performance',
    effective: false,
    apply: (o, v) => (o.backendResponseBuffer = size(v, 'backend-response-buffer')),
  },
  {
    long: 'fastopen',
    arg: '<N>',
    group: 'Performance',
    effective: false,
    apply: (o, v) => (o.fastopen = int(v, 'fastopen', 0, 2 ** 31 - 1)),
  },
  { long: 'no-kqueue', group: 'Performance', effective: true, apply: (o, v) => (o.noKqueue = yes(v)) },
  {
    long: 'frontend-http2-read-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.frontendHttp2ReadTimeout = duration(v, 'frontend-http2-read-timeout')),
  },
  {
    long: 'frontend-http3-read-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: false,
    apply: (o, v) => (o.frontendHttp3ReadTimeout = duration(v, 'frontend-http3-read-timeout')),
  },
  {
    long: 'frontend-read-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.frontendReadTimeout = duration(v, 'frontend-read-timeout')),
  },
  {
    long: 'frontend-write-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.frontendWriteTimeout = duration(v, 'frontend-write-timeout')),
  },
  {
    long: 'frontend-keep-alive-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.frontendKeepAliveTimeout = duration(v, 'frontend-keep-alive-timeout')),
  },
  {
    long: 'stream-read-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.streamReadTimeout = duration(v, 'stream-read-timeout')),
  },
  {
    long: 'stream-write-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.streamWriteTimeout = duration(v, 'stream-write-timeout')),
  },
  {
    long: 'backend-read-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.backendReadTimeout = duration(v, 'backend-read-timeout')),
  },
  {
    long: 'backend-write-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.backendWriteTimeout = duration(v, 'backend-write-timeout')),
  },
  {
    long: 'backend-connect-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.backendConnectTimeout = duration(v, 'backend-connect-timeout')),
  },
  {
    long: 'backend-keep-alive-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.backendKeepAliveTimeout = duration(v, 'backend-keep-alive-timeout')),
  },
  {
    // Not built: libuv answers EMFILE on accept by closing the pending connections itself
    // (uv__emfile_trick) and never calls back, so Node never sees an accept fail.
    long: 'listener-disable-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: false,
    apply: (o, v) => (o.listenerDisableTimeout = duration(v, 'listener-disable-timeout')),
  },
  {
    long: 'frontend-http2-setting-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.frontendHttp2SettingTimeout = duration(v, 'frontend-http2-setting-timeout')),
  },
  {
    // The reference's help says "setting", its parser knows only "settings": both work here.
    long: 'frontend-http2-settings-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.frontendHttp2SettingTimeout = duration(v, 'frontend-http2-settings-timeout')),
  },
  {
    long: 'backend-http2-settings-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.backendHttp2SettingsTimeout = duration(v, 'backend-http2-settings-timeout')),
  },
  {
    long: 'backend-max-backoff',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: true,
    apply: (o, v) => (o.backendMaxBackoff = duration(v, 'backend-max-backoff')),
  },
  { long: 'ciphers', arg: '<SUITE>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.ciphers = v) },
  { long: 'tls13-ciphers', arg: '<SUITE>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.tls13Ciphers = v) },
  { long: 'client-ciphers', arg: '<SUITE>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.clientCiphers = v) },
  { long: 'tls13-client-ciphers', arg: '<SUITE>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.tls13ClientCiphers = v) },
  { long: 'ecdh-curves', arg: '<LIST>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.ecdhCurves = v) },
  { long: 'insecure', short: 'k', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.insecure = yes(v)) },
  { long: 'cacert', arg: '<PATH>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.cacert = v) },
  { long: 'private-key-passwd-file', arg: '<PATH>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.privateKeyPasswdFile = v) },
  {
    long: 'subcert',
    arg: '<KEYPATH>:<CERTPATH>[[;<PARAM>]...]',
    group: 'SSL/TLS',
    list: true,
    effective: true,
    apply: (o, v) => void o.subcerts.push(v),
  },
  { long: 'dh-param-file', arg: '<PATH>', group: 'SSL/TLS', effective: false, apply: (o, v) => (o.dhParamFile = v) },
  { long: 'npn-list', arg: '<LIST>', group: 'SSL/TLS', effective: false, apply: (o, v) => (o.npnList = v) },
  { long: 'verify-client', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.verifyClient = yes(v)) },
  { long: 'verify-client-cacert', arg: '<PATH>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.verifyClientCacert = v) },
  { long: 'verify-client-tolerate-expired', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.verifyClientTolerateExpired = yes(v)) },
  { long: 'client-private-key-file', arg: '<PATH>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.clientPrivateKeyFile = v) },
  { long: 'client-cert-file', arg: '<PATH>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.clientCertFile = v) },
  {
    long: 'tls-min-proto-version',
    arg: '<VER>',
    group: 'SSL/TLS',
    effective: true,
    apply: (o, v) => (o.tlsMinProtoVersion = tlsVersion(v, 'tls-min-proto-version')),
  },
  {
    long: 'tls-max-proto-version',
    arg: '<VER>',
    group: 'SSL/TLS',
    effective: true,
    apply: (o, v) => (o.tlsMaxProtoVersion = tlsVersion(v, 'tls-max-proto-version')),
  },
  {
    long: 'tls-ticket-key-file',
    arg: '<PATH>',
    group: 'SSL/TLS',
    list: true,
    effective: true,
    apply: (o, v) => void o.tlsTicketKeyFiles.push(v),
  },
  {
    long: 'tls-ticket-key-memcached',
    arg: '<HOST>,<PORT>[;tls]',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsTicketKeyMemcached = v),
  },
  {
    long: 'tls-ticket-key-memcached-address-family',
    arg: '(auto|IPv4|IPv6)',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsTicketKeyMemcachedAddressFamily = oneOf(v, 'tls-ticket-key-memcached-address-family', ['auto', 'IPv4', 'IPv6'])),
  },
  {
    long: 'tls-ticket-key-memcached-interval',
    arg: '<DURATION>',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsTicketKeyMemcachedInterval = duration(v, 'tls-ticket-key-memcached-interval')),
  },
  {
    long: 'tls-ticket-key-memcached-max-retry',
    arg: '<N>',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsTicketKeyMemcachedMaxRetry = int(v, 'tls-ticket-key-memcached-max-retry', 0, 2 ** 31 - 1)),
  },
  {
    long: 'tls-ticket-key-memcached-max-fail',
    arg: '<N>',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsTicketKeyMemcachedMaxFail = int(v, 'tls-ticket-key-memcached-max-fail', 0, 2 ** 31 - 1)),
  },
  {
    long: 'tls-ticket-key-cipher',
    arg: '<CIPHER>',
    group: 'SSL/TLS',
    effective: true,
    apply: (o, v) => (o.tlsTicketKeyCipher = oneOf(v, 'tls-ticket-key-cipher', ['aes-128-cbc', 'aes-256-cbc'])),
  },
  {
    long: 'tls-ticket-key-memcached-cert-file',
    arg: '<PATH>',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsTicketKeyMemcachedCertFile = v),
  },
  {
    long: 'tls-ticket-key-memcached-private-key-file',
    arg: '<PATH>',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsTicketKeyMemcachedPrivateKeyFile = v),
  },
  { long: 'fetch-ocsp-response-file', arg: '<PATH>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.fetchOcspResponseFile = v) },
  {
    long: 'ocsp-update-interval',
    arg: '<DURATION>',
    group: 'SSL/TLS',
    effective: true,
    apply: (o, v) => (o.ocspUpdateInterval = duration(v, 'ocsp-update-interval')),
  },
  { long: 'ocsp-startup', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.ocspStartup = yes(v)) },
  { long: 'no-verify-ocsp', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.noVerifyOcsp = yes(v)) },
  { long: 'no-ocsp', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.noOcsp = yes(v)) },
  {
    long: 'tls-session-cache-memcached',
    arg: '<HOST>,<PORT>[;tls]',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsSessionCacheMemcached = v),
  },
  {
    long: 'tls-session-cache-memcached-address-family',
    arg: '(auto|IPv4|IPv6)',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) =>
      (o.tlsSessionCacheMemcachedAddressFamily = oneOf(v, 'tls-session-cache-memcached-address-family', ['auto', 'IPv4', 'IPv6'])),
  },
  {
    long: 'tls-session-cache-memcached-cert-file',
    arg: '<PATH>',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsSessionCacheMemcachedCertFile = v),
  },
  {
    long: 'tls-session-cache-memcached-private-key-file',
    arg: '<PATH>',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsSessionCacheMemcachedPrivateKeyFile = v),
  },
  {
    long: 'tls-dyn-rec-warmup-threshold',
    arg: '<SIZE>',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsDynRecWarmupThreshold = size(v, 'tls-dyn-rec-warmup-threshold')),
  },
  {
    long: 'tls-dyn-rec-idle-timeout',
    arg: '<DURATION>',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsDynRecIdleTimeout = duration(v, 'tls-dyn-rec-idle-timeout')),
  },
  { long: 'no-http2-cipher-block-list', group: 'SSL/TLS', effective: false, apply: (o, v) => (o.noHttp2CipherBlockList = yes(v)) },
  {
    long: 'client-no-http2-cipher-block-list',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.clientNoHttp2CipherBlockList = yes(v)),
  },
  { long: 'tls-sct-dir', arg: '<DIR>', group: 'SSL/TLS', effective: false, apply: (o, v) => (o.tlsSctDir = v) },
  { long: 'psk-secrets', arg: '<PATH>', group: 'SSL/TLS', effective: false, apply: (o, v) => (o.pskSecrets = v) },
  { long: 'client-psk-secrets', arg: '<PATH>', group: 'SSL/TLS', effective: false, apply: (o, v) => (o.clientPskSecrets = v) },
  { long: 'tls-no-postpone-early-data', group: 'SSL/TLS', effective: false, apply: (o, v) => (o.tlsNoPostponeEarlyData = yes(v)) },
  {
    long: 'tls-max-early-data',
    arg: '<SIZE>',
    group: 'SSL/TLS',
    effective: false,
    apply: (o, v) => (o.tlsMaxEarlyData = size(v, 'tls-max-early-data')),
  },
  { long: 'tls-ktls', group: 'SSL/TLS', effective: false, apply: (o, v) => (o.tlsKtls = yes(v)) },
  {
    long: 'frontend-http2-max-concurrent-streams',
    short: 'c',
    arg: '<N>',
    group: 'HTTP/2',
    effective: true,
    apply: (o, v) => (o.frontendHttp2MaxConcurrentStreams = int(v, 'frontend-http2-max-concurrent-streams', 1, 2 ** 31 - 1)),
  },
  {
    long: 'backend-http2-max-concurrent-streams',
    arg: '<N>',
    group: 'HTTP/2',
    effective: true,
    apply: (o, v) => (o.backendHttp2MaxConcurrentStreams = int(v, 'backend-http2-max-concurrent-streams', 0, 2 ** 31 - 1)),
  },
  {
    long: 'frontend-http2-window-size',
    arg: '<SIZE>',
    group: 'HTTP/2',
    effective: true,
    apply: (o, v) => (o.frontendHttp2WindowSize = window(v, 'frontend-http2-window-size', 0)),
  },
  {
    long: 'frontend-http2-connection-window-size',
    arg: '<SIZE>',
    group: 'HTTP/2',
    effective: true,
    apply: (o, v) => (o.frontendHttp2ConnectionWindowSize = window(v, 'frontend-http2-connection-window-size', 65535)),
  },
  {
    long: 'backend-http2-window-size',
    arg: '<SIZE>',
    group: 'HTTP/2',
    effective: true,
    apply: (o, v) => (o.backendHttp2WindowSize = window(v, 'backend-http2-window-size', 0)),
  },
  {
    long: 'backend-http2-connection-window-size',
    arg: '<SIZE>',
    group: 'HTTP/2',
    effective: true,
    apply: (o, v) => (o.backendHttp2ConnectionWindowSize = window(v, 'backend-http2-connection-window-size', 65535)),
  },
  { long: 'http2-no-cookie-crumbling', group: 'HTTP/2', effective: false, apply: (o, v) => (o.http2NoCookieCrumbling = yes(v)) },
  { long: 'padding', arg: '<N>', group: 'HTTP/2', effective: true, apply: (o, v) => (o.padding = int(v, 'padding', 0, 2 ** 31 - 1)) },
  { long: 'no-server-push', group: 'HTTP/2', effective: true, apply: (o, v) => (o.noServerPush = yes(v)) },
  {
    long: 'frontend-http2-optimize-write-buffer-size',
    group: 'HTTP/2',
    effective: false,
    unsupported: () =>
      "it sizes writes by the kernel's TCP_INFO (congestion window, unsent bytes), which Node does not expose; writes are not trimmed",
    apply: (o, v) => (o.frontendHttp2OptimizeWriteBufferSize = yes(v)),
  },
  {
    long: 'frontend-http2-optimize-window-size',
    group: 'HTTP/2',
    effective: false,
    unsupported: () =>
      "it tunes the connection window from the kernel's TCP_INFO (receive window), which Node does not expose; the window stays at --frontend-http2-connection-window-size",
    apply: (o, v) => (o.frontendHttp2OptimizeWindowSize = yes(v)),
  },
  {
    long: 'frontend-http2-encoder-dynamic-table-size',
    arg: '<SIZE>',
    group: 'HTTP/2',
    effective: true,
    apply: (o, v) => (o.frontendHttp2EncoderDynamicTableSize = size(v, 'frontend-http2-encoder-dynamic-table-size')),
  },
  {
    long: 'frontend-http2-decoder-dynamic-table-size',
    arg: '<SIZE>',
    group: 'HTTP/2',
    effective: true,
    apply: (o, v) => (o.frontendHttp2DecoderDynamicTableSize = size(v, 'frontend-http2-decoder-dynamic-table-size')),
  },
  {
    long: 'backend-http2-encoder-dynamic-table-size',
    arg: '<SIZE>',
    group: 'HTTP/2',
    effective: true,
    apply: (o, v) => (o.backendHttp2EncoderDynamicTableSize = size(v, 'backend-http2-encoder-dynamic-table-size')),
  },
  {
    long: 'backend-http2-decoder-dynamic-table-size',
    arg: '<SIZE>',
    group: 'HTTP/2',
    effective: true,
    apply: (o, v) => (o.backendHttp2DecoderDynamicTableSize = size(v, 'backend-http2-decoder-dynamic-table-size')),
  },
  { long: 'http2-proxy', short: 's', group: 'Mode', effective: true, apply: (o, v) => (o.http2Proxy = yes(v)) },
  { long: 'log-level', short: 'L', arg: '<LEVEL>', group: 'Logging', effective: true, apply: (o, v) => (o.logLevel = logLevel(v)) },
  { long: 'accesslog-file', arg: '<PATH>', group: 'Logging', effective: true, apply: (o, v) => (o.accesslogFile = v) },
  { long: 'accesslog-syslog', group: 'Logging', effective: true, apply: (o, v) => (o.accesslogSyslog = yes(v)) },
  { long: 'accesslog-format', arg: '<FORMAT>', group: 'Logging', effective: true, apply: (o, v) => (o.accesslogFormat = v) },
  { long: 'accesslog-write-early', group: 'Logging', effective: false, apply: (o, v) => (o.accesslogWriteEarly = yes(v)) },
  { long: 'errorlog-file', arg: '<PATH>', group: 'Logging', effective: true, apply: (o, v) => (o.errorlogFile = v) },
  { long: 'errorlog-syslog', group: 'Logging', effective: true, apply: (o, v) => (o.errorlogSyslog = yes(v)) },
  {
    long: 'syslog-facility',
    arg: '<FACILITY>',
    group: 'Logging',
    effective: true,
    apply: (o, v) => (o.syslogFacility = oneOf(v, 'syslog-facility', Object.keys(SYSLOG_FACILITIES))),
  },
  { long: 'add-x-forwarded-for', group: 'HTTP', effective: true, apply: (o, v) => (o.addXForwardedFor = yes(v)) },
  { long: 'strip-incoming-x-forwarded-for', group: 'HTTP', effective: true, apply: (o, v) => (o.stripIncomingXForwardedFor = yes(v)) },
  { long: 'no-add-x-forwarded-proto', group: 'HTTP', effective: true, apply: (o, v) => (o.noAddXForwardedProto = yes(v)) },
  {
    long: 'no-strip-incoming-x-forwarded-proto',
    group: 'HTTP',
    effective: true,
    apply: (o, v) => (o.noStripIncomingXForwardedProto = yes(v)),
  },
  { long: 'add-forwarded', arg: '<LIST>', group: 'HTTP', effective: true, apply: (o, v) => (o.addForwarded = forwardedParams(v)) },
  { long: 'strip-incoming-forwarded', group: 'HTTP', effective: true, apply: (o, v) => (o.stripIncomingForwarded = yes(v)) },
  {
    long: 'forwarded-by',
    arg: '(obfuscated|ip|<VALUE>)',
    group: 'HTTP',
    effective: true,
    apply: (o, v) => (o.forwardedBy = forwardedNode(v, 'forwarded-by', true)),
  },
  {
    long: 'forwarded-for',
    arg: '(obfuscated|ip)',
    group: 'HTTP',
    effective: true,
    apply: (o, v) => (o.forwardedFor = forwardedNode(v, 'forwarded-for', false)),
  },
  { long: 'no-via', group: 'HTTP', effective: true, apply: (o, v) => (o.noVia = yes(v)) },
  { long: 'no-strip-incoming-early-data', group: 'HTTP', effective: false, apply: (o, v) => (o.noStripIncomingEarlyData = yes(v)) },
  { long: 'no-location-rewrite', group: 'HTTP', effective: true, apply: (o, v) => (o.noLocationRewrite = yes(v)) },
  { long: 'host-rewrite', group: 'HTTP', effective: true, apply: (o, v) => (o.hostRewrite = yes(v)) },
  {
    long: 'altsvc',
    arg: '<PROTOID,PORT[,HOST,[ORIGIN[,PARAMS]]]>',
    group: 'HTTP',
    list: true,
    effective: true,
    apply: (o, v) => void o.altsvcs.push(altsvc(v, 'altsvc')),
  },
  {
    long: 'http2-altsvc',
    arg: '<PROTOID,PORT[,HOST,[ORIGIN[,PARAMS]]]>',
    group: 'HTTP',
    list: true,
    effective: true,
    apply: (o, v) => void o.http2Altsvcs.push(altsvc(v, 'http2-altsvc')),
  },
  {
    long: 'add-request-header',
    arg: '<HEADER>',
    group: 'HTTP',
    list: true,
    effective: true,
    apply: (o, v) => void o.addRequestHeaders.push(parseHeaderOption(v, 'add-request-header')),
  },
  {
    long: 'add-response-header',
    arg: '<HEADER>',
    group: 'HTTP',
    list: true,
    effective: true,
    apply: (o, v) => void o.addResponseHeaders.push(parseHeaderOption(v, 'add-response-header')),
  },
  {
    long: 'request-header-field-buffer',
    arg: '<SIZE>',
    group: 'HTTP',
    effective: true,
    apply: (o, v) => (o.requestHeaderFieldBuffer = size(v, 'request-header-field-buffer')),
  },
  {
    long: 'max-request-header-fields',
    arg: '<N>',
    group: 'HTTP',
    effective: true,
    apply: (o, v) => (o.maxRequestHeaderFields = int(v, 'max-request-header-fields', 0, 2 ** 31 - 1)),
  },
  {
    long: 'response-header-field-buffer',
    arg: '<SIZE>',
    group: 'HTTP',
    effective: true,
    apply: (o, v) => (o.responseHeaderFieldBuffer = size(v, 'response-header-field-buffer')),
  },
  {
    long: 'max-response-header-fields',
    arg: '<N>',
    group: 'HTTP',
    effective: true,
    apply: (o, v) => (o.maxResponseHeaderFields = int(v, 'max-response-header-fields', 0, 2 ** 31 - 1)),
  },
  { long: 'error-page', arg: '(<CODE>|*)=<PATH>', group: 'HTTP', list: true, effective: true, apply: (o, v) => errorPage(o, v) },
  { long: 'server-name', arg: '<NAME>', group: 'HTTP', effective: true, apply: (o, v) => (o.serverName = v) },
  { long: 'no-server-rewrite', group: 'HTTP', effective: true, apply: (o, v) => (o.noServerRewrite = yes(v)) },
  {
    long: 'redirect-https-port',
    arg: '<PORT>',
    group: 'HTTP',
    effective: true,
    apply: (o, v) => (o.redirectHttpsPort = int(v, 'redirect-https-port', 0, 65535)),
  },
  { long: 'require-http-scheme', group: 'HTTP', effective: true, apply: (o, v) => (o.requireHttpScheme = yes(v)) },
  {
    long: 'api-max-request-body',
    arg: '<SIZE>',
    group: 'API',
    effective: true,
    apply: (o, v) => (o.apiMaxRequestBody = size(v, 'api-max-request-body')),
  },
  {
    long: 'dns-cache-timeout',
    arg: '<DURATION>',
    group: 'DNS',
    effective: false,
    apply: (o, v) => (o.dnsCacheTimeout = duration(v, 'dns-cache-timeout')),
  },
  {
    long: 'dns-lookup-timeout',
    arg: '<DURATION>',
    group: 'DNS',
    effective: false,
    apply: (o, v) => (o.dnsLookupTimeout = duration(v, 'dns-lookup-timeout')),
  },
  {
    long: 'dns-max-try',
    arg: '<N>',
    group: 'DNS',
    effective: false,
    apply: (o, v) => (o.dnsMaxTry = int(v, 'dns-max-try', 0, 2 ** 31 - 1)),
  },
  {
    long: 'frontend-max-requests',
    arg: '<N>',
    group: 'DNS',
    effective: true,
    apply: (o, v) => (o.frontendMaxRequests = int(v, 'frontend-max-requests', 0, 2 ** 31 - 1)),
  },
  {
    long: 'frontend-http2-dump-request-header',
    arg: '<PATH>',
    group: 'Debug',
    effective: false,
    apply: (o, v) => (o.frontendHttp2DumpRequestHeader = v),
  },
  {
    long: 'frontend-http2-dump-response-header',
    arg: '<PATH>',
    group: 'Debug',
    effective: false,
    apply: (o, v) => (o.frontendHttp2DumpResponseHeader = v),
  },
  { long: 'frontend-frame-debug', short: 'o', group: 'Debug', effective: true, apply: (o, v) => (o.frontendFrameDebug = yes(v)) },
  { long: 'daemon', short: 'D', group: 'Process', effective: true, apply: (o, v) => (o.daemon = yes(v)) },
  { long: 'pid-file', arg: '<PATH>', group: 'Process', effective: true, apply: (o, v) => (o.pidFile = v) },
  { long: 'user', arg: '<USER>', group: 'Process', effective: false, apply: (o, v) => (o.user = v) },
  { long: 'single-process', group: 'Process', effective: true, apply: (o, v) => (o.singleProcess = yes(v)) },
  {
    long: 'max-worker-processes',
    arg: '<N>',
    group: 'Process',
    effective: false,
    apply: (o, v) => (o.maxWorkerProcesses = int(v, 'max-worker-processes', 0, 2 ** 31 - 1)),
  },
  {
    long: 'worker-process-grace-shutdown-period',
    arg: '<DURATION>',
    group: 'Process',
    effective: false,
    apply: (o, v) => (o.workerProcessGraceShutdownPeriod = duration(v, 'worker-process-grace-shutdown-period')),
  },
  { long: 'mruby-file', arg: '<PATH>', group: 'Scripting', effective: false, apply: (o, v) => (o.mrubyFile = v) },
  {
    long: 'ignore-per-pattern-mruby-error',
    group: 'Scripting',
    effective: false,
    apply: (o, v) => (o.ignorePerPatternMrubyError = yes(v)),
  },
  { long: 'conf', arg: '<PATH>', group: 'Misc', effective: true, apply: () => undefined },
  { long: 'include', arg: '<PATH>', group: 'Misc', effective: true, apply: (o, v, c) => c.include(v) },
  { long: 'version', short: 'v', group: 'Misc', effective: true, apply: () => undefined },
  { long: 'help', short: 'h', group: 'Misc', effective: true, apply: () => undefined },
  ...DEPRECATED_OPTIONS,
  // Configuration files only: the positional <PRIVATE_KEY> and <CERT>.
  { long: 'private-key-file', arg: '<PATH>', group: 'Config', effective: true, apply: (o, v) => (o.privateKeyFile = v) },
  { long: 'certificate-file', arg: '<PATH>', group: 'Config', effective: true, apply: (o, v) => (o.certificateFile = v) },
];

/** Options by long name. */
export const BY_LONG = new Map(OPTIONS.map((d) => [d.long, d]));
/** Options that exist only in configuration files. */
export const CONF_ONLY = new Set(['private-key-file', 'certificate-file']);

/** The table in the CLI kit's form: its getopt reader and config reader parse nghttpx's argv and files. */
export const TABLE = new OptionTable<ApplyTarget>(
  OPTIONS.map((d) => ({
    ...d,
    repeatable: d.list,
    commandLineOnly: ['conf', 'help', 'version'].includes(d.long),
    apply: (t: ApplyTarget, value: string | undefined) => d.apply(t.options, value ?? 'yes', t.ctx),
  })),
);
