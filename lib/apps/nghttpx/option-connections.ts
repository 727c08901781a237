/** nghttpx's options of the help's Connections, Performance and Timeout groups, in the reference's order. */
// SIZE (K, M, G) in bytes and DURATION (h, m, s, ms) in milliseconds: the CLI kit's parsers,
// named short here because the table calls them on almost every line.
import { parseDuration as duration, parseSize as size } from '../common/units';
import { parseBackend, parseFrontend, parseProxyUri } from './addresses';
import type { OptionDef } from './option-table';
import { int, oneOf, yes } from './option-values';

/** Connections, Performance and Timeout. */
export const CONNECTION_OPTIONS: OptionDef[] = [
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
    effective: true,
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
    effective: true,
    apply: (o, v) => (o.backendRequestBuffer = size(v, 'backend-request-buffer')),
  },
  {
    long: 'backend-response-buffer',
    arg: '<SIZE>',
    group: 'Performance',
    effective: true,
    apply: (o, v) => (o.backendResponseBuffer = size(v, 'backend-response-buffer')),
  },
  {
    long: 'fastopen',
    arg: '<N>',
    group: 'Performance',
    effective: false,
    unsupported: (v) =>
      Number(v) > 0
        ? "Node's net.Server cannot set TCP_FASTOPEN on a listening socket, so connections use the ordinary three-way handshake"
        : undefined,
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
    unsupported: () => 'this nghttpx has no HTTP/3 frontend (Node 20 has no QUIC), so there is no HTTP/3 connection to time out',
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
    long: 'listener-disable-timeout',
    arg: '<DURATION>',
    group: 'Timeout',
    effective: false,
    unsupported: (v) =>
      !/^0+(ms|s|m|h)?$/i.test(v)
        ? 'libuv answers EMFILE on accept by closing the pending connection itself and never reports the failure, so Node never sees when to pause the listener'
        : undefined,
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
];
