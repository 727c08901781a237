/** h2load's --help and --version text (nghttp2's option names; our own wording). */

/** `h2load --help`. */
export function helpText(): string {
  return `Usage: h2load [OPTIONS]... [URI]...
benchmarking tool for HTTP/2 server (nghttp2-ts)

  <URI>       URIs to request.  Each client uses them in turn, round-robin.
              Scheme, host and port come from the first URI only (or -B);
              later URIs may be bare paths such as /index.html.
Options:
  -n, --requests=<N>
              Requests across all clients (ignored with -D).  Default: 1
  -c, --clients=<N>
              Concurrent clients, one connection each (with -r: the most
              connections made).  Default: 1
  -t, --threads=<N>
              Threads.  Node runs JavaScript on one thread, so thread #0
              runs in the main thread and threads #1..N-1 are
              worker_threads, each with its own clients and event loop;
              clients and requests are spread over them as h2load does.
              Default: 1
  -i, --input-file=<PATH>
              File with one URI per line ('-' = stdin); replaces the
              command-line URIs.
  -m, --max-concurrent-streams=<N>
              Concurrent streams per connection; for HTTP/1.1, requests
              pipelined.  Default: 1
  -f, --max-frame-size=<SIZE>
              SETTINGS_MAX_FRAME_SIZE we advertise.  Default: 16K
  -w, --window-bits=<N>
              Stream receive window (2**<N>)-1.  Default: 30
  -W, --connection-window-bits=<N>
              Connection receive window (2**<N>)-1.  Default: 30
  -H, --header=<HEADER>
              Add or override a request header ('name: value').
  -p, --no-tls-proto=<PROTOID>
              What an http:// URI speaks: h2c (prior knowledge) or
              http/1.1.  Default: h2c
  -d, --data=<PATH>
              POST this file with every request.  HTTP/1.1 then keeps one
              request in flight.
  -r, --rate=<N>
              Connections made per rate period, up to -c (0 = all at
              once).  Spread over threads.  Not with -D.
  --rate-period=<DURATION>
              The rate period.  Default: 1s
  -D, --duration=<DURATION>
              Timing-based run: measure for this long (-n is ignored).
  --warm-up-time=<DURATION>
              With -D: run this long before measuring.
  -T, --connection-active-timeout=<DURATION>
              Close a connection this long after its last request was
              sent; requests still in flight count as timed out.
  -N, --connection-inactivity-timeout=<DURATION>
              Close a connection that read nothing for this long;
              requests in flight count as timed out.
  -B, --base-uri=(<URI>|unix:<PATH>)
              Scheme, host and port for every request, or a UNIX socket
              to connect to.
  --npn-list=<LIST>
              ALPN identifiers offered over TLS, comma separated, most
              wanted first.  Default: h2,h2-16,h2-14,http/1.1
  --h1        Same as --npn-list=http/1.1 --no-tls-proto=http/1.1.
  --ciphers=<SUITE>
              Allowed cipher list for TLSv1.2 and earlier (OpenSSL
              ciphers(1) format).
              Default: ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384
  --tls13-ciphers=<SUITE>
              Allowed cipher list for TLSv1.3.
              Default: TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256
  --groups=<GROUPS>
              Supported key exchange groups.
              Default: X25519:P-256:P-384:P-521
  --header-table-size=<SIZE>
              HPACK decoder table size we advertise.  Default: 4K
  --encoder-header-table-size=<SIZE>
              Cap on the HPACK encoder table.  Default: 4K
  --log-file=<PATH>
              One line per request: start time (microseconds since the
              epoch) TAB status (-1 for a failed stream) TAB
              microseconds until the response ended.
  --connect-to=<HOST>[:<PORT>]
              Connect here instead of the URI's host and port.
  --rps=<N>   Requests per second per client.
  --timing-script-file=<PATH>
              Lines of <milliseconds>TAB<URI>: each client sends the
              script's requests at those offsets from its connection
              ('-' reads stdin). -n is then per client and defaults to
              the number of lines. Excludes --rps.
  -v, --verbose
              Print every response header as [stream_id=N] name: value.
  --json      Write the whole summary as one JSON document on stdout
              (nothing else), latency percentiles included.
  --html-report=<FILE>
              Also write an HTML report: the summary, a latency
              histogram and requests per second over time.
  --version   Print the version and exit.
  -h, --help  Print this help and exit.

  Not offered: --ktls and the QUIC options (they are refused with
  a message).

  <SIZE> is an integer with an optional K, M or G (powers of 1024).
  <DURATION> is a number with an optional h, m, s or ms (default s).

  "time for request" keeps no per-request samples: min, max, mean and
  sd are exact; its "+/- sd" share comes from the HDR histogram, to its
  resolution (3 significant digits: 1us below 2ms).

Exit status: 0 when the benchmark ran (whatever status codes it got); 1 for
a bad option, file or URI, or when no request at all could be completed
(nghttp2's h2load exits 0 then).
`;
}
