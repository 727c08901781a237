/** nghttpx's `--help` text: the options this build has, and plainly what it does not have yet. */
import { NGHTTPX_VERSION } from './options';

/** The help text printed by `nghttpx -h`. */
export function helpText(): string {
  return `Usage: nghttpx [OPTIONS]... [<PRIVATE_KEY> <CERT>]
A reverse proxy for HTTP/3, HTTP/2, and HTTP/1 (nghttp2-ts ${NGHTTPX_VERSION}; HTTP/2 and HTTP/1 only).

  <PRIVATE_KEY>  Private key file for the TLS frontend.
  <CERT>         Certificate file (PEM) for the TLS frontend.

Connections:
  -f, --frontend=(<HOST>,<PORT>|unix:<PATH>)[;<PARAM>]...
              Listen address (repeatable). Default: '*,3000' (TLS).
              Parameter: 'no-tls' (cleartext: h2c prior knowledge,
              HTTP/1.1, HTTP/1.1 Upgrade: h2c). TLS frontends offer
              ALPN h2 and http/1.1. Port 0 picks a free port (an
              extension; the 'Listening on' log line says which).
  -b, --backend=(<HOST>,<PORT>|unix:<PATH>)[;[<PATTERN>[:...]]][;<PARAM>]...
              Backend address (repeatable). Default: '127.0.0.1,80'.
              Patterns: '/path' (exact), '/dir/' (subtree, also
              '/dir'), 'host', 'host/path', '*.suffix' hosts, '/foo*'
              wildcard paths. Host patterns beat path-only ones,
              longer beats shorter; the catch-all '/' is required.
              Backends sharing a pattern are balanced round-robin.
              Parameters: 'proto=h2|http/1.1' (default http/1.1; h2 is
              cleartext unless 'tls'), 'tls', 'sni=<HOST>'.
  --conf=<PATH>
              Configuration file: name=value lines (long options
              without '--'; flags take 'yes'; private-key-file= and
              certificate-file= for the positionals). Default
              /etc/nghttpx/nghttpx.conf, read only if it exists.
  -k, --insecure
              Do not verify TLS backends' certificates.

HTTP/2:
  -c, --frontend-http2-max-concurrent-streams=<N>   Default: 100
  --frontend-http2-window-size=<SIZE>               Default: 65535
  --frontend-http2-connection-window-size=<SIZE>    Default: 65535
  --backend-http2-window-size=<SIZE>                Default: 65535
  --backend-http2-connection-window-size=<SIZE>     Default: 2147483647

HTTP:
  --no-via                 Do not add or append to Via.
  --server-name=<NAME>     Server header value. Default: nghttpx
  --no-server-rewrite      Pass the backend's Server header through.
  --add-x-forwarded-for    Append the client address to X-Forwarded-For.
  --strip-incoming-x-forwarded-for
  --no-add-x-forwarded-proto
  --no-strip-incoming-x-forwarded-proto
  --add-request-header=<HEADER>    'name: value' (repeatable)
  --add-response-header=<HEADER>   'name: value' (repeatable)

Logging:
  --accesslog-file=<PATH>
  --accesslog-format=<FORMAT>
              Variables: $remote_addr $remote_port $server_port
              $time_local $time_iso8601 $request $method $path
              $path_without_query $protocol_version $status
              $body_bytes_sent $http_<NAME> $request_time $pid $alpn
              $backend_host $backend_port ($tls_* print '-'); \${var}
              form too. Default (combined):
              ${'$'}remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
  --errorlog-file=<PATH>   Default: /dev/stderr
  -L, --log-level=<LEVEL>  INFO, NOTICE, WARN, ERROR or FATAL. Default: NOTICE
  -o, --frontend-frame-debug
              Print the frontend HTTP/2 frames to the error log.

Process:
  -n, --workers=<N>, --single-process, --single-thread
              Accepted; this nghttpx always runs one event loop.
  SIGQUIT: graceful shutdown (stop accepting, GOAWAY, exit when
  in-flight requests are done). SIGTERM/SIGINT: exit at once.

Misc:
  -v, --version   Print the version and exit.
  -h, --help      Print this help and exit.

Not built yet (refused with a message if asked for): forward proxy
(-s/--http2-proxy), frontend 'api', 'healthmon', 'sni-fwd', 'proxyproto'
and 'quic', backend health checks ('fall'/'rise'), 'affinity', 'dns',
'group'/'weight', 'redirect-if-not-tls', 'mruby', read/write timeouts;
--add-forwarded, --error-page, --altsvc, TLS client auth, OCSP, session
tickets, SIGHUP reload, SIGUSR1/SIGUSR2, -D, --pid-file, --user,
syslog, and every option not listed above. Upgrades other than h2c
(e.g. WebSocket) and server push are not proxied.
`;
}
