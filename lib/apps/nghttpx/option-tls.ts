/** nghttpx's options of the help's SSL/TLS group, in the reference's order. */
// SIZE (K, M, G) in bytes and DURATION (h, m, s, ms) in milliseconds: the CLI kit's parsers,
// named short here because the table calls them on almost every line.
import { parseDuration as duration, parseSize as size } from '../common/units';
import { parseMemcachedAddress } from './memcached';
import type { OptionDef } from './option-table';
import { oneOf, int, tlsVersion, yes } from './option-values';

/** SSL/TLS. */
/** Why the TLSv1.3 0-RTT options do nothing here. */
const EARLY_DATA =
  "Node's TLS cannot accept TLSv1.3 early data (no SSL_set_max_early_data / SSL_read_early_data), so 0-RTT is refused and requests wait for the handshake";

/** Why the TLS dynamic record size cannot be followed (measured: spec dyn-rec-oracle.spec.ts, Node 20). */
const DYN_REC =
  "Node's only record-size control, TLSSocket.setMaxSendFragment, cannot raise the record size again once lowered (OpenSSL keeps the lowered split_send_fragment: records stayed at 1300 bytes after setMaxSendFragment(16384) returned true), so records are always full size, as with 0";

/** A memcached option's `<HOST>,<PORT>[;tls]`, checked now, kept as given. */
function checkedMemcached(v: string, option: string): string {
  parseMemcachedAddress(v, option);
  return v;
}

export const TLS_OPTIONS: OptionDef[] = [
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
  { long: 'dh-param-file', arg: '<PATH>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.dhParamFile = v) },
  { long: 'npn-list', arg: '<LIST>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.npnList = v) },
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
    effective: true,
    apply: (o, v) => (o.tlsTicketKeyMemcached = checkedMemcached(v, 'tls-ticket-key-memcached')),
  },
  {
    long: 'tls-ticket-key-memcached-address-family',
    arg: '(auto|IPv4|IPv6)',
    group: 'SSL/TLS',
    effective: true,
    apply: (o, v) => (o.tlsTicketKeyMemcachedAddressFamily = oneOf(v, 'tls-ticket-key-memcached-address-family', ['auto', 'IPv4', 'IPv6'])),
  },
  {
    long: 'tls-ticket-key-memcached-interval',
    arg: '<DURATION>',
    group: 'SSL/TLS',
    effective: true,
    apply: (o, v) => (o.tlsTicketKeyMemcachedInterval = duration(v, 'tls-ticket-key-memcached-interval')),
  },
  {
    long: 'tls-ticket-key-memcached-max-retry',
    arg: '<N>',
    group: 'SSL/TLS',
    effective: true,
    apply: (o, v) => (o.tlsTicketKeyMemcachedMaxRetry = int(v, 'tls-ticket-key-memcached-max-retry', 0, 2 ** 31 - 1)),
  },
  {
    long: 'tls-ticket-key-memcached-max-fail',
    arg: '<N>',
    group: 'SSL/TLS',
    effective: true,
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
    effective: true,
    apply: (o, v) => (o.tlsTicketKeyMemcachedCertFile = v),
  },
  {
    long: 'tls-ticket-key-memcached-private-key-file',
    arg: '<PATH>',
    group: 'SSL/TLS',
    effective: true,
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
    effective: true,
    apply: (o, v) => (o.tlsSessionCacheMemcached = checkedMemcached(v, 'tls-session-cache-memcached')),
  },
  {
    long: 'tls-session-cache-memcached-address-family',
    arg: '(auto|IPv4|IPv6)',
    group: 'SSL/TLS',
    effective: true,
    apply: (o, v) =>
      (o.tlsSessionCacheMemcachedAddressFamily = oneOf(v, 'tls-session-cache-memcached-address-family', ['auto', 'IPv4', 'IPv6'])),
  },
  {
    long: 'tls-session-cache-memcached-cert-file',
    arg: '<PATH>',
    group: 'SSL/TLS',
    effective: true,
    apply: (o, v) => (o.tlsSessionCacheMemcachedCertFile = v),
  },
  {
    long: 'tls-session-cache-memcached-private-key-file',
    arg: '<PATH>',
    group: 'SSL/TLS',
    effective: true,
    apply: (o, v) => (o.tlsSessionCacheMemcachedPrivateKeyFile = v),
  },
  {
    long: 'tls-dyn-rec-warmup-threshold',
    arg: '<SIZE>',
    group: 'SSL/TLS',
    effective: false,
    unsupported: (v) => (v === '0' ? undefined : DYN_REC),
    apply: (o, v) => (o.tlsDynRecWarmupThreshold = size(v, 'tls-dyn-rec-warmup-threshold')),
  },
  {
    long: 'tls-dyn-rec-idle-timeout',
    arg: '<DURATION>',
    group: 'SSL/TLS',
    effective: false,
    unsupported: () => DYN_REC,
    apply: (o, v) => (o.tlsDynRecIdleTimeout = duration(v, 'tls-dyn-rec-idle-timeout')),
  },
  { long: 'no-http2-cipher-block-list', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.noHttp2CipherBlockList = yes(v)) },
  {
    long: 'client-no-http2-cipher-block-list',
    group: 'SSL/TLS',
    effective: true,
    apply: (o, v) => (o.clientNoHttp2CipherBlockList = yes(v)),
  },
  {
    long: 'tls-sct-dir',
    arg: '<DIR>',
    group: 'SSL/TLS',
    effective: false,
    unsupported: () =>
      "Node's TLS has no way to add a server extension (OpenSSL's SSL_CTX_add_custom_ext), so no signed_certificate_timestamp is sent",
    apply: (o, v) => (o.tlsSctDir = v),
  },
  { long: 'psk-secrets', arg: '<PATH>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.pskSecrets = v) },
  { long: 'client-psk-secrets', arg: '<PATH>', group: 'SSL/TLS', effective: true, apply: (o, v) => (o.clientPskSecrets = v) },
  {
    long: 'tls-no-postpone-early-data',
    group: 'SSL/TLS',
    effective: false,
    unsupported: (v) => (v === 'no' ? undefined : EARLY_DATA),
    apply: (o, v) => (o.tlsNoPostponeEarlyData = yes(v)),
  },
  {
    long: 'tls-max-early-data',
    arg: '<SIZE>',
    group: 'SSL/TLS',
    effective: false,
    unsupported: (v) => (v === '0' ? undefined : EARLY_DATA),
    apply: (o, v) => (o.tlsMaxEarlyData = size(v, 'tls-max-early-data')),
  },
  {
    long: 'tls-ktls',
    group: 'SSL/TLS',
    effective: false,
    unsupported: (v) =>
      v === 'no'
        ? undefined
        : "Node runs OpenSSL over memory buffers, not on the socket, so the kernel's TLS (SSL_OP_ENABLE_KTLS) cannot take over the records",
    apply: (o, v) => (o.tlsKtls = yes(v)),
  },
];
