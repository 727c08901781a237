/**
 * Regenerates the committed seed corpus (fuzz/corpus/<target>/): `node dist/fuzz/seeds.js`.
 * Seeds are real traffic: frame vectors and nghttp captures from vectors/, RFC 7541 Appendix C
 * header blocks, conversations between two of our own Sessions (each side's received bytes),
 * HTTP/1.1 heads and nghttpx configuration lines. Small on purpose: the fuzzer finds the rest.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Session, SessionEvent } from '../lib/protocol/session/session';
import { HpackEncoder } from '../lib/protocol/hpack/encoder';
import type { HeaderField } from '../lib/protocol/frame/types';
import { corpusDir, repoRoot } from './corpus';
import { BLOCK_SEPARATOR } from './targets/hpack';

function write(target: string, name: string, data: Buffer | string): void {
  const dir = corpusDir(target);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), data);
}

function readJson<T>(rel: string): T {
  return JSON.parse(fs.readFileSync(path.join(repoRoot(), rel), 'utf8')) as T;
}

/** Bytes each side received in a conversation between a client and a server Session. */
function converse(script: (client: Session, server: Session) => void, serverSettings = {}): { toServer: Buffer; toClient: Buffer } {
  const toServer: Buffer[] = [];
  const toClient: Buffer[] = [];
  const serverTodo: SessionEvent[] = [];
  const clientTodo: SessionEvent[] = [];
  const client = new Session({ role: 'client', onEvent: (e) => clientTodo.push(e) });
  const server = new Session({ role: 'server', settings: serverSettings, onEvent: (e) => serverTodo.push(e) });
  script(client, server);
  for (let round = 0; round < 50; round++) {
    const c = client.dataToSend();
    if (c) {
      toServer.push(c);
      server.receive(c);
    }
    while (serverTodo.length) {
      const e = serverTodo.shift()!;
      if (e.type === 'requestReceived' && server.isStreamOpen(e.streamId)) {
        const path = e.headers.find(([n]) => n === ':path')?.[1] ?? '/';
        if (path === '/push') {
          const p = server.push(e.streamId, [
            [':method', 'GET'],
            [':scheme', 'https'],
            [':authority', 'fuzz'],
            [':path', '/pushed.css'],
          ]);
          server.respond(p, [[':status', '200']], { endStream: true });
        }
        server.respond(e.streamId, [
          [':status', '200'],
          ['content-type', 'text/html'],
          ['server', 'nghttpd nghttp2/1.52.0'],
        ]);
        server.sendData(e.streamId, Buffer.alloc(path === '/big' ? 70000 : 300, 0x78), path !== '/trailers');
        if (path === '/trailers') server.sendTrailers(e.streamId, [['x-trailer', 'done']]);
      } else if (e.type === 'dataReceived') {
        server.consume(e.streamId, e.flowControlledLength);
      }
    }
    const s = server.dataToSend();
    if (s) {
      toClient.push(s);
      client.receive(s);
    }
    while (clientTodo.length) {
      const e = clientTodo.shift()!;
      if (e.type === 'dataReceived') client.consume(e.streamId, e.flowControlledLength);
    }
    if (!c && !s) break;
  }
  return { toServer: Buffer.concat(toServer), toClient: Buffer.concat(toClient) };
}

const GET: HeaderField[] = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'fuzz'],
  [':path', '/'],
];
const req = (p: string, method = 'GET'): HeaderField[] => [
  [':method', method],
  [':scheme', 'https'],
  [':authority', 'fuzz'],
  [':path', p],
  ['user-agent', 'nghttp2/1.52.0'],
];

function sessionSeeds(): void {
  const scenarios: [string, (c: Session, s: Session) => void, object?][] = [
    // The client target opens GET (stream 1) and POST with a body (stream 3) itself: these match.
    [
      'get-post',
      (c) => {
        c.request(GET, { endStream: true });
        const id = c.request(req('/up', 'POST'));
        c.sendData(id, Buffer.alloc(3000, 0x61), true);
      },
    ],
    [
      'trailers',
      (c) => {
        c.request(req('/trailers'), { endStream: true });
        const id = c.request(req('/up', 'POST'));
        c.sendTrailers(id, [['x-client-trailer', 'yes']]);
      },
    ],
    [
      'big-body',
      (c) => {
        c.request(req('/big'), { endStream: true, weight: 32 });
      },
    ],
    [
      'push',
      (c) => {
        c.request(req('/push'), { endStream: true });
      },
    ],
    [
      'ping-settings-priority',
      (c) => {
        c.ping(Buffer.from('fuzzping'));
        c.updateSettings({ headerTableSize: 256, initialWindowSize: 100000 });
        const id = c.request(req('/a'), { endStream: true, priority: { exclusive: true, dependsOn: 0, weight: 200 } });
        c.sendPriority(id, { exclusive: false, dependsOn: 0, weight: 16 });
        c.sendPriorityUpdate(id, 'u=1, i');
      },
    ],
    [
      'reset-goaway',
      (c) => {
        const id = c.request(req('/slow'), { endStream: true });
        c.request(req('/b'), { endStream: true });
        c.reset(id);
        c.goaway();
      },
    ],
    [
      'small-frames',
      (c) => {
        c.request(req('/x'.repeat(30)), { endStream: true });
      },
      { maxConcurrentStreams: 1, headerTableSize: 0 },
    ],
  ];
  for (const [name, script, settings] of scenarios) {
    const { toServer, toClient } = converse(script, settings);
    write('session-server', `ours-${name}`, toServer);
    write('session-client', `ours-${name}`, toClient);
    write('frames', `ours-${name}-from-client`, toServer.subarray(0, 4096));
    write('frames', `ours-${name}-from-server`, toClient.subarray(0, 4096));
  }
  const captures = readJson<{ name: string; client: string; server: string }[]>('vectors/frames/nghttp-captures.json');
  captures.forEach((c, i) => {
    write('session-server', `nghttp-capture-${i}`, Buffer.from(c.client, 'base64'));
    write('session-client', `nghttpd-capture-${i}`, Buffer.from(c.server, 'base64'));
  });
}

function frameSeeds(): void {
  const vectors = readJson<{ name: string; hex: string }[]>('vectors/frames/frames.json');
  // All the vectors in one stream (after an empty SETTINGS), and a few alone.
  write('frames', 'vectors-all', Buffer.concat(vectors.map((v) => Buffer.from(v.hex, 'hex'))));
  vectors.forEach((v, i) => {
    if (i % 4 === 0) write('frames', `vector-${String(i).padStart(2, '0')}`, Buffer.from(v.hex, 'hex'));
  });
}

function hpackSeeds(): void {
  const c = readJson<{ fields: { wire: string }[]; sequences: { section: string; table_size: number; cases: { wire: string }[] }[] }>(
    'vectors/rfc7541/appendix-c.json',
  );
  // The first octet of an input sets the decoder up (bit 0: a 256-octet table, as C.5 and C.6 need).
  c.fields.forEach((f, i) => write('hpack', `rfc7541-c2-${i}`, Buffer.concat([Buffer.from([0]), Buffer.from(f.wire, 'hex')])));
  for (const s of c.sequences) {
    const blocks = s.cases.map((k) => Buffer.from(k.wire, 'hex'));
    const config = Buffer.from([s.table_size === 256 ? 1 : 0]);
    write('hpack', `rfc7541-${s.section}`, Buffer.concat([config, ...blocks.flatMap((b, i) => (i ? [BLOCK_SEPARATOR, b] : [b]))]));
  }
  // A SETTINGS_HEADER_TABLE_SIZE change between blocks (fe fe fd NN: NN*32 octets), answered by
  // the size update the next block must open with.
  write(
    'hpack',
    'resize',
    Buffer.concat([
      Buffer.from([0]),
      Buffer.from('82864188f439ce75c875fa5784', 'hex'),
      Buffer.from([0xfe, 0xfe, 0xfd, 0x02]),
      Buffer.from('3f21828684be', 'hex'),
    ]),
  );
  const enc = new HpackEncoder();
  const lists: HeaderField[][] = [
    req('/index.html'),
    req('/style.css'),
    [
      [':status', '200'],
      ['content-type', 'text/html'],
      ['set-cookie', 'a=b; path=/'],
      ['cache-control', 'max-age=60'],
    ],
    [
      ['authorization', 'secret', true],
      ['cookie', 'x=1'],
      ['x-custom', 'v'.repeat(200)],
    ],
  ];
  write(
    'hpack',
    'ours-sequence',
    Buffer.concat([Buffer.from([2]), ...lists.flatMap((l, i) => (i ? [BLOCK_SEPARATOR, enc.encode(l)] : [enc.encode(l)]))]),
  );
}

function http1Seeds(): void {
  const seeds: [string, string][] = [
    ['get', 'GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n'],
    [
      'upgrade',
      'GET /index.html HTTP/1.1\r\nHost: localhost:3000\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nUser-Agent: nghttp2/1.52.0\r\n\r\n',
    ],
    [
      'upgrade-post',
      'POST /up HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: \r\nContent-Length: 5\r\n\r\nhello',
    ],
    [
      'upgrade-chunked',
      'POST / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['http10', 'OPTIONS * HTTP/1.0\r\n\r\n'],
    ['response', 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'],
    ['response-200', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: nghttpx\r\n\r\nok'],
    ['preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['connect', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'],
  ];
  for (const [name, text] of seeds) write('http1', name, Buffer.from(text, 'latin1'));
}

function optionSeeds(): void {
  const seeds: [string, string][] = [
    ['conf-basic', 'frontend=127.0.0.1,3000;no-tls\nbackend=127.0.0.1,8080;;proto=h2\n# a comment\n\nworkers=1\nlog-level=WARN\n'],
    [
      'conf-headers',
      'frontend=*,3000;no-tls\nbackend=localhost,80;/;proto=http/1.1\nadd-request-header=x-a: 1\nadd-response-header=x-b: 2\nno-via=yes\nserver-name=fuzz\n',
    ],
    [
      'conf-windows',
      'frontend=unix:/tmp/x.sock;no-tls\nbackend=127.0.0.1,80\nfrontend-http2-window-size=65535\nfrontend-http2-connection-window-size=1048576\nbackend-http2-window-size=0\nfrontend-http2-max-concurrent-streams=100\n',
    ],
    ['argv-basic', '\0-f\x00127.0.0.1,3000;no-tls\0-b\x00127.0.0.1,8080\0-L\0INFO'],
    [
      'argv-long',
      '\0--frontend=*,443;no-tls\0--backend=127.0.0.1,80;/api/;proto=h2\0--backend=127.0.0.1,81;/\0--add-x-forwarded-for\0--accesslog-format=$remote_addr $status\0-n\x004',
    ],
    ['argv-tls', 'frontend=*,3443\n\0key.pem\0cert.pem'],
    ['both', 'backend=127.0.0.1,80\ninsecure=yes\n\0-k\0--frontend=127.0.0.1,0;no-tls\0--no-server-rewrite'],
  ];
  for (const [name, text] of seeds) write('nghttpx-options', name, Buffer.from(text, 'utf8'));
}

function hpackToolSeeds(): void {
  // The first octet picks the tool (see fuzz/targets/hpack-tools.ts).
  const seeds: [string, number, string][] = [
    ['inflate', 0, '{"cases":[{"wire":"82864188f439ce75c875fa5784"},{"wire":"3fe11f8286","header_table_size":4096}]}'],
    ['inflate-dump', 1, '{"cases":[{"seq":0,"wire":"400a637573746f6d2d6b65790d637573746f6d2d686561646572"}]}'],
    ['deflate', 2, '{"cases":[{"headers":[{":method":"GET"},{":path":"/"},{"cookie":"a=b"}]},{"headers":[{"x-a":"\\u00e9"}]}]}'],
    ['deflate-text', 3, ':method: GET\r\n:path: /index.html\r\nuser-agent: curl\r\n\r\n:status: 200\ncontent-type: text/html\n'],
  ];
  for (const [name, mode, text] of seeds) write('hpack-tools', name, Buffer.concat([Buffer.from([mode]), Buffer.from(text, 'utf8')]));
}

function sniffSeeds(): void {
  // The last octet picks the listener's options (see fuzz/targets/sniff.ts): 0 goaway, 1 http1,
  // 2 goaway without Upgrade, 3 http1 with an onHttp1Socket hand-off.
  const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
  const settings = '\x00\x00\x00\x04\x00\x00\x00\x00\x00';
  const upgrade =
    'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n';
  const seeds: [string, string][] = [
    ['preface', `${preface}${settings}\x00`],
    ['preface-http1', `${preface}${settings}\x01`],
    ['upgrade', `${upgrade}\x00`],
    [
      'upgrade-post',
      `POST /up HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nContent-Length: 5\r\n\r\nhello\x00`,
    ],
    ['upgrade-refused', `${upgrade}\x02`],
    ['get-handoff', 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n\x03'],
    ['get', 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n\x01'],
    ['bad-preface', 'PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n\x00'],
    ['tls-hello', '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\x00'],
    ['junk-http1', '\x16\x03\x01 not http at all\r\n\r\n\x01'],
  ];
  for (const [name, text] of seeds) write('sniff', name, Buffer.from(text, 'latin1'));
}

function clientArgSeeds(): void {
  // The first octet picks the tool (see fuzz/targets/client-args.ts): even nghttp, odd h2load.
  const seeds: [string, number, string[]][] = [
    ['nghttp-get', 0, ['-nv', 'http://127.0.0.1:3000/']],
    ['nghttp-many', 0, ['-a', '-s', '-m', '3', '-H', 'x-a: b', '--trailer=x-t: 1', '-d', 'f', 'https://[::1]:8443/a?b=c', 'http://a/']],
    ['nghttp-opts', 0, ['-w', '16', '-W', '20', '-p', '32', '--padding=8', '-t', '1s', 'http://user@host:80/p#frag']],
    ['h2load-run', 1, ['-n', '100', '-c', '2', '-m', '10', 'http://127.0.0.1:3000/', '/nope']],
    ['h2load-base', 1, ['-B', 'unix:/tmp/s', '-D', '2s', '--warm-up-time=1s', '-c', '1', '/a']],
    ['h2load-connect-to', 1, ['--connect-to=[::1]:8080', '--h1', '-H', ':method: POST', '-r', '2', '-t', '2', '-c', '2', 'https://a/']],
    ['h2load-script', 1, ['--timing-script-file=s', '-c', '1', '1.5\thttp://a/x\n20\t/y']],
    // Found by this target: `new URL('//', first)` threw a TypeError (h2load said "internal error").
    ['crash-h2load-double-slash', 1, ['http://a/', '//']],
    // Found by this target: with -B, '\x01x:/y' became an absolute URI and its path 'x:/y' a :path.
    ['crash-h2load-control-scheme', 1, ['-Bhttp://a/', '\x01ix:/4']],
  ];
  for (const [name, tool, argv] of seeds)
    write('client-args', name, Buffer.concat([Buffer.from([tool]), Buffer.from(argv.join('\0'), 'utf8')]));
}

function main(): void {
  fs.rmSync(path.join(repoRoot(), 'fuzz', 'corpus'), { recursive: true, force: true });
  sessionSeeds();
  frameSeeds();
  hpackSeeds();
  http1Seeds();
  optionSeeds();
  hpackToolSeeds();
  sniffSeeds();
  clientArgSeeds();
  for (const t of fs.readdirSync(path.join(repoRoot(), 'fuzz', 'corpus'))) {
    const dir = corpusDir(t);
    const files = fs.readdirSync(dir);
    const size = files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    process.stdout.write(`${t}: ${files.length} seeds, ${size} octets\n`);
  }
}

main();
