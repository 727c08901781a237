/**
 * `npm run bench:nghttpd-core`: our nghttpd's per-request CPU in one process, without the kernel:
 * the real engine (startNghttpd, the transport's sniffing acceptor, Http2Connection, Session,
 * HPACK, the static site's file cache) serves a fake in-memory socket fed with what h2load
 * `-c 1 -m 10` sends (HEADERS of 10 GETs for a 1 KiB file per read; after the first request every
 * HPACK block is the same octets, as with h2load), and whatever it writes is dropped. The CPU time
 * of the process (process.cpuUsage) per request is printed for BENCH_CORE_RUNS runs of
 * BENCH_CORE_N requests after a BENCH_CORE_WARMUP-request warm-up, with the median and spread.
 * What the bench:nghttpd side-by-side run measures beside it (syscalls, libuv, the socket's
 * stream layer) is left out, so changes in the session and the engine show at a load where
 * a side-by-side run moves by 30%: CPU time of one busy thread moves far less than wall time.
 *
 *   npm run bench:nghttpd-core
 *   BENCH_CORE_N=200000 BENCH_CORE_RUNS=9 npm run bench:nghttpd-core
 *   node --cpu-prof dist/bench/nghttpd-core.js     # a profile of the engine alone
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duplex } from 'stream';
import { startNghttpd } from '../lib/apps/nghttpd/server';
import { parseArgs } from '../lib/apps/nghttpd/options';
import { Session } from '../lib/protocol/session/session';
import type { HeaderField } from '../lib/protocol/frame/types';
import { median } from './measure';

/** A socket that reads what the bench pushes and drops what is written to it. */
class FakeSocket extends Duplex {
  remoteAddress = '127.0.0.1';
  remotePort = 40000;
  written = 0;
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.written += chunk.length;
    cb();
  }
  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    for (const c of chunks) this.written += c.chunk.length;
    cb();
  }
}

/** A HEADERS frame (END_STREAM | END_HEADERS) carrying `block` on stream `id`. */
function headersFrame(id: number, block: Buffer): Buffer {
  const f = Buffer.allocUnsafe(9 + block.length);
  f.writeUIntBE(block.length, 0, 3);
  f[3] = 1;
  f[4] = 0x05;
  f.writeUInt32BE(id, 5);
  block.copy(f, 9);
  return f;
}

/**
 * The client's bytes: the preface (from a client Session: SETTINGS with a 1 GiB window, the
 * connection WINDOW_UPDATE) and the first request block, the ACK of the server's SETTINGS, then
 * the repeated block every later request is sent as.
 */
function clientBytes(port: number): { preface: Buffer; repeat: Buffer } {
  const blocks: Buffer[] = [];
  const client = new Session({
    role: 'client',
    settings: { initialWindowSize: 2 ** 30 - 1 },
    connectionWindowSize: 2 ** 30 - 1,
    frameEvents: true,
    onEvent: (ev) => {
      if (ev.type === 'frameSent' && ev.frame.type === 1) blocks.push((ev.frame as { fragment: Buffer }).fragment);
    },
  });
  const fields: HeaderField[] = [
    [':method', 'GET'],
    [':path', '/1k'],
    [':scheme', 'http'],
    [':authority', `127.0.0.1:${port}`],
    ['user-agent', 'h2load nghttp2/1.52.0'],
  ];
  client.request(fields, { endStream: true });
  const first = client.dataToSend()!;
  client.request(fields, { endStream: true });
  client.dataToSend();
  const repeat = Buffer.from(blocks[1]);
  const ack = Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0]);
  return { preface: Buffer.concat([first, ack]), repeat };
}

/**
 * Allocation per request over one run of `n` requests (V8's sampling heap profiler, counting what
 * the scavenger and the major GC collected too): prints KB/request and the top allocating
 * functions; writes the profile to `file`.
 */
async function heapSample(run: () => Promise<void>, n: number, file: string): Promise<void> {
  const inspector = await import('inspector');
  const s = new inspector.Session();
  s.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => s.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await run();
  const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: { head: HeapNode } };
  s.disconnect();
  fs.writeFileSync(file, JSON.stringify(profile));
  const self = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode): void => {
    const cf = node.callFrame;
    const key = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
    const size = node.selfSize;
    total += size;
    self.set(key, (self.get(key) ?? 0) + size);
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  console.log(`allocated ${(total / n).toFixed(0)} bytes/request (sampled)`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(v / n).toFixed(1).padStart(8)} B/req  ${k}`);
}

/** A node of V8's sampling heap profile. */
interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

async function main(): Promise<void> {
  const N = Number(process.env.BENCH_CORE_N ?? 100000);
  const RUNS = Number(process.env.BENCH_CORE_RUNS ?? 7);
  const WARMUP = Number(process.env.BENCH_CORE_WARMUP ?? 100000);
  const PER_READ = 10;
  const docroot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nghttpd-core-'));
  fs.writeFileSync(path.join(docroot, '1k'), Buffer.alloc(1024, 'a'));
  const parsed = parseArgs(['-a', '127.0.0.1', '-d', docroot, '--no-tls', '0']);
  if (parsed.kind !== 'run') throw new Error('bad options');
  const server = await startNghttpd(parsed.options, { out: { write: () => true }, err: process.stderr, printListen: false });
  const sock = new FakeSocket();
  server.listener.server.emit('connection', sock);
  const { preface, repeat } = clientBytes(server.port);
  sock.push(preface);
  // The first answer waits for the file to be read into the cache.
  for (let i = 0; i < 12000 && sock.written < 1024; i++) await new Promise((r) => setTimeout(r, 10));
  let nextId = 3;
  const conn = [...server.listener.connections][0];
  /**
   * Push `n` requests, PER_READ per read, each read once the last one's requests are answered (as
   * h2load -m 10 waits); every 1000 reads, and whenever an answer waits (the once-a-second file
   * revalidation), let timers and I/O run.
   */
  const drive = async (n: number): Promise<void> => {
    let left = n;
    while (left > 0) {
      for (let k = 0; k < 1000 && left > 0 && conn.session.streamCount === 0; k++) {
        const m = Math.min(PER_READ, left);
        const frames: Buffer[] = [];
        for (let i = 0; i < m; i++) {
          frames.push(headersFrame(nextId, repeat));
          nextId += 2;
        }
        sock.push(Buffer.concat(frames));
        left -= m;
      }
      if (conn.closed) throw new Error('the connection closed');
      // Waiting for the file's revalidation (a stat on the thread pool): sleep, do not spin.
      await new Promise((r) => (conn.session.streamCount === 0 ? setImmediate(r) : setTimeout(r, 1)));
    }
    while (conn.session.streamCount > 0 && !conn.closed) await new Promise((r) => setTimeout(r, 1));
  };
  const before = sock.written;
  await drive(PER_READ);
  if (sock.written - before < PER_READ * 1024)
    throw new Error(`the server answered ${sock.written - before} octets to ${PER_READ} requests`);
  await drive(WARMUP);
  if (process.env.BENCH_CORE_HEAP) await heapSample(() => drive(N), N, process.env.BENCH_CORE_HEAP);
  if (process.env.BENCH_CORE_SIGNAL) {
    // For an outside counter (valgrind: `callgrind_control -z` then `-d`): say "warm", wait for
    // SIGUSR2, serve N requests, say "done", wait for SIGUSR2 again, then go on.
    const signalled = () => new Promise<void>((r) => process.once('SIGUSR2', () => r()));
    let next = signalled();
    console.log('warm');
    await next;
    next = signalled();
    await drive(N);
    console.log('done');
    await next;
  }
  const us: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    await drive(N);
    const c = process.cpuUsage(c0);
    us.push((c.user + c.system) / N);
  }
  const sorted = [...us].sort((a, b) => a - b);
  console.log(
    `nghttpd engine, in-process fake socket, ${N} requests x ${RUNS} runs after ${WARMUP}: ` +
      `median ${median(us).toFixed(3)} us CPU/request (min ${sorted[0].toFixed(3)}, max ${sorted[sorted.length - 1].toFixed(3)}); ` +
      `runs ${us.map((x) => x.toFixed(2)).join(' ')}`,
  );
  sock.destroy();
  await server.close();
  fs.rmSync(docroot, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
