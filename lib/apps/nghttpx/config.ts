/**
 * nghttpx's configuration record: one field per long option of the reference (camelCase of the
 * name; durations in milliseconds, sizes in bytes; repeatable options as lists), the addresses of
 * `-f`/`-b`, and the defaults of the reference's `--help`.
 */
import type { RoutePattern } from './routing';

/** One `-f` frontend. */
export interface FrontendAddress {
  /** Host to bind ('*' = all interfaces) or undefined for a UNIX socket. */
  host?: string;
  port?: number;
  /** UNIX domain socket path (`unix:PATH`). */
  unixPath?: string;
  /** `no-tls` given: cleartext h2c / HTTP/1.1. */
  noTls: boolean;
  /** `api`: the backend configuration API endpoint. */
  api?: boolean;
  /** `healthmon`: answer every request 200 with no body. */
  healthmon?: boolean;
  /** `proxyproto`: PROXY protocol v1/v2 before the first byte. */
  proxyproto?: boolean;
  /** `sni-fwd`: route by the TLS SNI name instead of the request host. */
  sniFwd?: boolean;
  /** `quic` (HTTP/3): refused, this build has no HTTP/3. */
  quic?: boolean;
}

/** `affinity=cookie` settings of a backend. */
export interface AffinityCookie {
  name?: string;
  path?: string;
  secure?: 'auto' | 'yes' | 'no';
  stickiness?: 'loose' | 'strict';
}

/** One `-b` backend address with its patterns and parameters. */
export interface BackendAddress {
  host?: string;
  port?: number;
  unixPath?: string;
  patterns: RoutePattern[];
  proto: 'h2' | 'http/1.1';
  tls: boolean;
  /** `sni=` (TLS backends). */
  sni?: string;
  fall?: number;
  rise?: number;
  affinity?: 'none' | 'ip' | 'cookie';
  affinityCookie?: AffinityCookie;
  dns?: boolean;
  redirectIfNotTls?: boolean;
  upgradeScheme?: boolean;
  mruby?: string;
  /** `read-timeout=` (ms). */
  readTimeout?: number;
  /** `write-timeout=` (ms). */
  writeTimeout?: number;
  group?: string;
  groupWeight?: number;
  weight?: number;
  dnf?: boolean;
}

/** `--backend-http-proxy-uri=http://[USER:PASS@]HOST:PORT`: the proxy h2 backend connections are tunnelled through. */
export interface ProxyUri {
  host: string;
  port: number;
  /** `user:pass` (percent-decoded), for Proxy-Authorization: Basic. */
  userinfo?: string;
}

/** Log levels, most verbose first. */
export const LOG_LEVELS = ['INFO', 'NOTICE', 'WARN', 'ERROR', 'FATAL'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The default access log format (combined). */
export const DEFAULT_ACCESSLOG_FORMAT =
  '$remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

/** Everything nghttpx does, as parsed from the command line and the configuration files. */
export interface NghttpxOptions {
  /** `--backend`. */
  backends: BackendAddress[];
  /** `--frontend`. */
  frontends: FrontendAddress[];
  /** `--backlog`. */
  backlog: number;
  /** `--backend-address-family`. */
  backendAddressFamily: string;
  /** `--backend-http-proxy-uri`. */
  backendHttpProxyUri: ProxyUri | undefined;
  /** `--workers`. */
  workers: number;
  /** `--single-thread`. */
  singleThread: boolean;
  /** `--read-rate` (bytes). */
  readRate: number;
  /** `--read-burst` (bytes). */
  readBurst: number;
  /** `--write-rate` (bytes). */
  writeRate: number;
  /** `--write-burst` (bytes). */
  writeBurst: number;
  /** `--worker-read-rate` (bytes). */
  workerReadRate: number;
  /** `--worker-read-burst` (bytes). */
  workerReadBurst: number;
  /** `--worker-write-rate` (bytes). */
  workerWriteRate: number;
  /** `--worker-write-burst` (bytes). */
  workerWriteBurst: number;
  /** `--worker-frontend-connections`. */
  workerFrontendConnections: number;
  /** `--backend-connections-per-host`. */
  backendConnectionsPerHost: number;
  /** `--backend-connections-per-frontend`. */
  backendConnectionsPerFrontend: number;
  /** `--rlimit-nofile`. */
  rlimitNofile: number;
  /** `--rlimit-memlock`. */
  rlimitMemlock: number;
  /** `--backend-request-buffer` (bytes). */
  backendRequestBuffer: number;
  /** `--backend-response-buffer` (bytes). */
  backendResponseBuffer: number;
  /** `--fastopen`. */
  fastopen: number;
  /** `--no-kqueue`. */
  noKqueue: boolean;
  /** `--frontend-http2-read-timeout` (ms). */
  frontendHttp2ReadTimeout: number;
  /** `--frontend-http3-read-timeout` (ms). */
  frontendHttp3ReadTimeout: number;
  /** `--frontend-read-timeout` (ms). */
  frontendReadTimeout: number;
  /** `--frontend-write-timeout` (ms). */
  frontendWriteTimeout: number;
  /** `--frontend-keep-alive-timeout` (ms). */
  frontendKeepAliveTimeout: number;
  /** `--stream-read-timeout` (ms). */
  streamReadTimeout: number;
  /** `--stream-write-timeout` (ms). */
  streamWriteTimeout: number;
  /** `--backend-read-timeout` (ms). */
  backendReadTimeout: number;
  /** `--backend-write-timeout` (ms). */
  backendWriteTimeout: number;
  /** `--backend-connect-timeout` (ms). */
  backendConnectTimeout: number;
  /** `--backend-keep-alive-timeout` (ms). */
  backendKeepAliveTimeout: number;
  /** `--listener-disable-timeout` (ms). */
  listenerDisableTimeout: number;
  /** `--frontend-http2-setting-timeout` (ms). */
  frontendHttp2SettingTimeout: number;
  /** `--backend-http2-settings-timeout` (ms). */
  backendHttp2SettingsTimeout: number;
  /** `--backend-max-backoff` (ms). */
  backendMaxBackoff: number;
  /** `--ciphers`. */
  ciphers: string;
  /** `--tls13-ciphers`. */
  tls13Ciphers: string;
  /** `--client-ciphers`. */
  clientCiphers: string;
  /** `--tls13-client-ciphers`. */
  tls13ClientCiphers: string;
  /** `--ecdh-curves`. */
  ecdhCurves: string;
  /** `--insecure`. */
  insecure: boolean;
  /** `--cacert`. */
  cacert: string | undefined;
  /** `--private-key-passwd-file`. */
  privateKeyPasswdFile: string | undefined;
  /** `--subcert`. */
  subcerts: string[];
  /** `--dh-param-file`. */
  dhParamFile: string | undefined;
  /** `--npn-list`. */
  npnList: string;
  /** `--verify-client`. */
  verifyClient: boolean;
  /** `--verify-client-cacert`. */
  verifyClientCacert: string | undefined;
  /** `--verify-client-tolerate-expired`. */
  verifyClientTolerateExpired: boolean;
  /** `--client-private-key-file`. */
  clientPrivateKeyFile: string | undefined;
  /** `--client-cert-file`. */
  clientCertFile: string | undefined;
  /** `--tls-min-proto-version`. */
  tlsMinProtoVersion: string;
  /** `--tls-max-proto-version`. */
  tlsMaxProtoVersion: string;
  /** `--tls-ticket-key-file`. */
  tlsTicketKeyFiles: string[];
  /** `--tls-ticket-key-memcached`. */
  tlsTicketKeyMemcached: string | undefined;
  /** `--tls-ticket-key-memcached-address-family`. */
  tlsTicketKeyMemcachedAddressFamily: string;
  /** `--tls-ticket-key-memcached-interval` (ms). */
  tlsTicketKeyMemcachedInterval: number;
  /** `--tls-ticket-key-memcached-max-retry`. */
  tlsTicketKeyMemcachedMaxRetry: number;
  /** `--tls-ticket-key-memcached-max-fail`. */
  tlsTicketKeyMemcachedMaxFail: number;
  /** `--tls-ticket-key-cipher`. */
  tlsTicketKeyCipher: string | undefined;
  /** `--tls-ticket-key-memcached-cert-file`. */
  tlsTicketKeyMemcachedCertFile: string | undefined;
  /** `--tls-ticket-key-memcached-private-key-file`. */
  tlsTicketKeyMemcachedPrivateKeyFile: string | undefined;
  /** `--fetch-ocsp-response-file`. */
  fetchOcspResponseFile: string;
  /** `--ocsp-update-interval` (ms). */
  ocspUpdateInterval: number;
  /** `--ocsp-startup`. */
  ocspStartup: boolean;
  /** `--no-verify-ocsp`. */
  noVerifyOcsp: boolean;
  /** `--no-ocsp`. */
  noOcsp: boolean;
  /** `--tls-session-cache-memcached`. */
  tlsSessionCacheMemcached: string | undefined;
  /** `--tls-session-cache-memcached-address-family`. */
  tlsSessionCacheMemcachedAddressFamily: string;
  /** `--tls-session-cache-memcached-cert-file`. */
  tlsSessionCacheMemcachedCertFile: string | undefined;
  /** `--tls-session-cache-memcached-private-key-file`. */
  tlsSessionCacheMemcachedPrivateKeyFile: string | undefined;
  /** `--tls-dyn-rec-warmup-threshold` (bytes). */
  tlsDynRecWarmupThreshold: number;
  /** `--tls-dyn-rec-idle-timeout` (ms). */
  tlsDynRecIdleTimeout: number;
  /** `--no-http2-cipher-block-list`. */
  noHttp2CipherBlockList: boolean;
  /** `--client-no-http2-cipher-block-list`. */
  clientNoHttp2CipherBlockList: boolean;
  /** `--tls-sct-dir`. */
  tlsSctDir: string | undefined;
  /** `--psk-secrets`. */
  pskSecrets: string | undefined;
  /** `--client-psk-secrets`. */
  clientPskSecrets: string | undefined;
  /** `--tls-no-postpone-early-data`. */
  tlsNoPostponeEarlyData: boolean;
  /** `--tls-max-early-data` (bytes). */
  tlsMaxEarlyData: number;
  /** `--tls-ktls`. */
  tlsKtls: boolean;
  /** `--frontend-http2-max-concurrent-streams`. */
  frontendHttp2MaxConcurrentStreams: number;
  /** `--backend-http2-max-concurrent-streams`. */
  backendHttp2MaxConcurrentStreams: number;
  /** `--frontend-http2-window-size` (bytes). */
  frontendHttp2WindowSize: number;
  /** `--frontend-http2-connection-window-size` (bytes). */
  frontendHttp2ConnectionWindowSize: number;
  /** `--backend-http2-window-size` (bytes). */
  backendHttp2WindowSize: number;
  /** `--backend-http2-connection-window-size` (bytes). */
  backendHttp2ConnectionWindowSize: number;
  /** `--http2-no-cookie-crumbling`. */
  http2NoCookieCrumbling: boolean;
  /** `--padding`. */
  padding: number | undefined;
  /** `--no-server-push`. */
  noServerPush: boolean;
  /** `--frontend-http2-optimize-write-buffer-size`. */
  frontendHttp2OptimizeWriteBufferSize: boolean;
  /** `--frontend-http2-optimize-window-size`. */
  frontendHttp2OptimizeWindowSize: boolean;
  /** `--frontend-http2-encoder-dynamic-table-size` (bytes). */
  frontendHttp2EncoderDynamicTableSize: number;
  /** `--frontend-http2-decoder-dynamic-table-size` (bytes). */
  frontendHttp2DecoderDynamicTableSize: number;
  /** `--backend-http2-encoder-dynamic-table-size` (bytes). */
  backendHttp2EncoderDynamicTableSize: number;
  /** `--backend-http2-decoder-dynamic-table-size` (bytes). */
  backendHttp2DecoderDynamicTableSize: number;
  /** `--http2-proxy`. */
  http2Proxy: boolean;
  /** `--log-level`. */
  logLevel: LogLevel;
  /** `--accesslog-file`. */
  accesslogFile: string | undefined;
  /** `--accesslog-syslog`. */
  accesslogSyslog: boolean;
  /** `--accesslog-format`. */
  accesslogFormat: string;
  /** `--accesslog-write-early`. */
  accesslogWriteEarly: boolean;
  /** `--errorlog-file`. */
  errorlogFile: string;
  /** `--errorlog-syslog`. */
  errorlogSyslog: boolean;
  /** `--syslog-facility`. */
  syslogFacility: string;
  /** `--add-x-forwarded-for`. */
  addXForwardedFor: boolean;
  /** `--strip-incoming-x-forwarded-for`. */
  stripIncomingXForwardedFor: boolean;
  /** `--no-add-x-forwarded-proto`. */
  noAddXForwardedProto: boolean;
  /** `--no-strip-incoming-x-forwarded-proto`. */
  noStripIncomingXForwardedProto: boolean;
  /** `--add-forwarded`. */
  addForwarded: string[];
  /** `--strip-incoming-forwarded`. */
  stripIncomingForwarded: boolean;
  /** `--forwarded-by`. */
  forwardedBy: string;
  /** `--forwarded-for`. */
  forwardedFor: string;
  /** `--no-via`. */
  noVia: boolean;
  /** `--no-strip-incoming-early-data`. */
  noStripIncomingEarlyData: boolean;
  /** `--no-location-rewrite`. */
  noLocationRewrite: boolean;
  /** `--host-rewrite`. */
  hostRewrite: boolean;
  /** `--altsvc`. */
  altsvcs: string[];
  /** `--http2-altsvc`. */
  http2Altsvcs: string[];
  /** `--add-request-header`. */
  addRequestHeaders: [string, string][];
  /** `--add-response-header`. */
  addResponseHeaders: [string, string][];
  /** `--request-header-field-buffer` (bytes). */
  requestHeaderFieldBuffer: number;
  /** `--max-request-header-fields`. */
  maxRequestHeaderFields: number;
  /** `--response-header-field-buffer` (bytes). */
  responseHeaderFieldBuffer: number;
  /** `--max-response-header-fields`. */
  maxResponseHeaderFields: number;
  /** `--error-page`. */
  errorPages: Map<number | '*', string>;
  /** `--server-name`. */
  serverName: string;
  /** `--no-server-rewrite`. */
  noServerRewrite: boolean;
  /** `--redirect-https-port`. */
  redirectHttpsPort: number;
  /** `--require-http-scheme`. */
  requireHttpScheme: boolean;
  /** `--api-max-request-body` (bytes). */
  apiMaxRequestBody: number;
  /** `--dns-cache-timeout` (ms). */
  dnsCacheTimeout: number;
  /** `--dns-lookup-timeout` (ms). */
  dnsLookupTimeout: number;
  /** `--dns-max-try`. */
  dnsMaxTry: number;
  /** `--frontend-max-requests`. */
  frontendMaxRequests: number | undefined;
  /** `--frontend-http2-dump-request-header`. */
  frontendHttp2DumpRequestHeader: string | undefined;
  /** `--frontend-http2-dump-response-header`. */
  frontendHttp2DumpResponseHeader: string | undefined;
  /** `--frontend-frame-debug`. */
  frontendFrameDebug: boolean;
  /** `--daemon`. */
  daemon: boolean;
  /** `--pid-file`. */
  pidFile: string | undefined;
  /** `--user`. */
  user: string | undefined;
  /** `--single-process`. */
  singleProcess: boolean;
  /** `--max-worker-processes`. */
  maxWorkerProcesses: number | undefined;
  /** `--worker-process-grace-shutdown-period` (ms). */
  workerProcessGraceShutdownPeriod: number | undefined;
  /** `--mruby-file`. */
  mrubyFile: string | undefined;
  /** `--ignore-per-pattern-mruby-error`. */
  ignorePerPatternMrubyError: boolean;
  /** The `--conf` file that was read (undefined when none was). */
  conf: string | undefined;
  /** `--backend-tls-sni-field` (deprecated): the SNI of every TLS backend. */
  backendTlsSniField?: string;
  /** `private-key-file=` (config files) or the first positional argument. */
  privateKeyFile?: string;
  /** `certificate-file=` (config files) or the second positional argument. */
  certificateFile?: string;
}

/** The reference's defaults (its `--help`). */
export function defaultOptions(): NghttpxOptions {
  return {
    backends: [],
    frontends: [],
    backlog: 65536,
    backendAddressFamily: 'auto',
    backendHttpProxyUri: undefined,
    workers: 1,
    singleThread: false,
    readRate: 0,
    readBurst: 0,
    writeRate: 0,
    writeBurst: 0,
    workerReadRate: 0,
    workerReadBurst: 0,
    workerWriteRate: 0,
    workerWriteBurst: 0,
    workerFrontendConnections: 0,
    backendConnectionsPerHost: 8,
    backendConnectionsPerFrontend: 0,
    rlimitNofile: 0,
    rlimitMemlock: 0,
    backendRequestBuffer: 16384,
    backendResponseBuffer: 131072,
    fastopen: 0,
    noKqueue: false,
    frontendHttp2ReadTimeout: 180000,
    frontendHttp3ReadTimeout: 180000,
    frontendReadTimeout: 60000,
    frontendWriteTimeout: 30000,
    frontendKeepAliveTimeout: 60000,
    streamReadTimeout: 0,
    streamWriteTimeout: 60000,
    backendReadTimeout: 60000,
    backendWriteTimeout: 30000,
    backendConnectTimeout: 30000,
    backendKeepAliveTimeout: 2000,
    listenerDisableTimeout: 30000,
    frontendHttp2SettingTimeout: 10000,
    backendHttp2SettingsTimeout: 10000,
    backendMaxBackoff: 120000,
    ciphers:
      'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384',
    tls13Ciphers: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
    clientCiphers:
      'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384',
    tls13ClientCiphers: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
    ecdhCurves: 'X25519:P-256:P-384:P-521',
    insecure: false,
    cacert: undefined,
    privateKeyPasswdFile: undefined,
    subcerts: [],
    dhParamFile: undefined,
    npnList: 'h2,h2-16,h2-14,http/1.1',
    verifyClient: false,
    verifyClientCacert: undefined,
    verifyClientTolerateExpired: false,
    clientPrivateKeyFile: undefined,
    clientCertFile: undefined,
    tlsMinProtoVersion: 'TLSv1.2',
    tlsMaxProtoVersion: 'TLSv1.3',
    tlsTicketKeyFiles: [],
    tlsTicketKeyMemcached: undefined,
    tlsTicketKeyMemcachedAddressFamily: 'auto',
    tlsTicketKeyMemcachedInterval: 600000,
    tlsTicketKeyMemcachedMaxRetry: 3,
    tlsTicketKeyMemcachedMaxFail: 2,
    tlsTicketKeyCipher: undefined,
    tlsTicketKeyMemcachedCertFile: undefined,
    tlsTicketKeyMemcachedPrivateKeyFile: undefined,
    fetchOcspResponseFile: '/usr/share/nghttp2/fetch-ocsp-response',
    ocspUpdateInterval: 14400000,
    ocspStartup: false,
    noVerifyOcsp: false,
    noOcsp: false,
    tlsSessionCacheMemcached: undefined,
    tlsSessionCacheMemcachedAddressFamily: 'auto',
    tlsSessionCacheMemcachedCertFile: undefined,
    tlsSessionCacheMemcachedPrivateKeyFile: undefined,
    tlsDynRecWarmupThreshold: 1048576,
    tlsDynRecIdleTimeout: 1000,
    noHttp2CipherBlockList: false,
    clientNoHttp2CipherBlockList: false,
    tlsSctDir: undefined,
    pskSecrets: undefined,
    clientPskSecrets: undefined,
    tlsNoPostponeEarlyData: false,
    tlsMaxEarlyData: 16384,
    tlsKtls: false,
    frontendHttp2MaxConcurrentStreams: 100,
    backendHttp2MaxConcurrentStreams: 100,
    frontendHttp2WindowSize: 65535,
    frontendHttp2ConnectionWindowSize: 65535,
    backendHttp2WindowSize: 65535,
    backendHttp2ConnectionWindowSize: 2147483647,
    http2NoCookieCrumbling: false,
    padding: undefined,
    noServerPush: false,
    frontendHttp2OptimizeWriteBufferSize: false,
    frontendHttp2OptimizeWindowSize: false,
    frontendHttp2EncoderDynamicTableSize: 4096,
    frontendHttp2DecoderDynamicTableSize: 4096,
    backendHttp2EncoderDynamicTableSize: 4096,
    backendHttp2DecoderDynamicTableSize: 4096,
    http2Proxy: false,
    logLevel: 'NOTICE',
    accesslogFile: undefined,
    accesslogSyslog: false,
    accesslogFormat: DEFAULT_ACCESSLOG_FORMAT,
    accesslogWriteEarly: false,
    errorlogFile: '/dev/stderr',
    errorlogSyslog: false,
    syslogFacility: 'daemon',
    addXForwardedFor: false,
    stripIncomingXForwardedFor: false,
    noAddXForwardedProto: false,
    noStripIncomingXForwardedProto: false,
    addForwarded: [],
    stripIncomingForwarded: false,
    forwardedBy: 'obfuscated',
    forwardedFor: 'obfuscated',
    noVia: false,
    noStripIncomingEarlyData: false,
    noLocationRewrite: false,
    hostRewrite: false,
    altsvcs: [],
    http2Altsvcs: [],
    addRequestHeaders: [],
    addResponseHeaders: [],
    requestHeaderFieldBuffer: 65536,
    maxRequestHeaderFields: 100,
    responseHeaderFieldBuffer: 65536,
    maxResponseHeaderFields: 500,
    errorPages: new Map(),
    serverName: 'nghttpx',
    noServerRewrite: false,
    redirectHttpsPort: 443,
    requireHttpScheme: false,
    apiMaxRequestBody: 33554432,
    dnsCacheTimeout: 10000,
    dnsLookupTimeout: 5000,
    dnsMaxTry: 2,
    frontendMaxRequests: undefined,
    frontendHttp2DumpRequestHeader: undefined,
    frontendHttp2DumpResponseHeader: undefined,
    frontendFrameDebug: false,
    daemon: false,
    pidFile: undefined,
    user: undefined,
    singleProcess: false,
    maxWorkerProcesses: undefined,
    workerProcessGraceShutdownPeriod: undefined,
    mrubyFile: undefined,
    ignorePerPatternMrubyError: false,
    conf: undefined,
  };
}
