/**
 * The nghttp engine: fetch the URIs over HTTP/2 (prior knowledge, TLS+ALPN, or h2c Upgrade) on
 * the transport's `connect()`, one connection per run of same-origin URIs, and print what the
 * reference prints (the -v frame trace through FramePrinter, bodies, -s, -r) in its order.
 */
import fs = require('fs');
import { isIP } from 'net';
import { connect } from '../../transport/client';
import type { ClientConnection } from '../../transport/client';
import type { Http2Connection } from '../../transport/connection';
import type { SessionEvent, StreamHandler } from '../../protocol/session/session';
import { deferredCaList, loadKeyAndCert } from '../common/tls-files';
import { ErrorCode, errorCodeName } from '../../protocol/errors';
import type { HeaderField } from '../../protocol/frame/types';
import { FramePrinter, monotonicMs } from '../printer/printer';
import { NghttpTrace } from './trace';
import { ConnectWatch } from './first-flight';
import { decompressBody, readBody } from './body';
import type { NghttpOptions } from './options';
import { buildTrailers, toByteString } from './headers';
import { RequestFactory } from './requests';
import { PlanQueue } from './plan-queue';
import { anchorPriorities, resourcePriority, ResourceType } from './priority';
import type { AssetParser } from './assets';
import { header, newLive, planRuns, pushedRecord } from './plan';
import { notAllowedText } from './errors';
import type { Live, Planned, PlanRun } from './plan';
import { buildUpgradeRequest, connectionWindow, initialSettings } from './settings';
import { groupByOrigin, parseTargetUri, sameOrigin, TargetUri } from './uri';
import { ConnectionTiming, nowMicros, RequestRecord } from './records';
import { IdMap } from '../../protocol/session/id-map';
import { formatStats } from './stats';
import { formatHar } from './har';
import { packageVersion } from '../common/version';

export { planRequests } from './plan';

/** Where the engine reads and writes. */
export interface NghttpIO {
  /** Bodies, the -v trace, -s and -r output. */
  stdout: {
    /** Write bytes or text as they are. */
    write(chunk: Buffer | string): unknown;
    /** A terminal: the trace is coloured. */
    isTTY?: boolean;
  };
  /** `[ERROR]` lines and the "Some requests were not processed" line. */
  stderr: {
    /** Write one message. */
    write(chunk: string): unknown;
  };
  /** Read by `-d -`. */
  stdin?: NodeJS.ReadableStream;
}

/** The outcome of a run. */
export interface NghttpResult {
  /** Requests asked for (command-line URIs times -m, plus -a assets); pushes not counted. */
  total: number;
  /** Requests whose response arrived complete. */
  processed: number;
  /** 0 when every request completed; 1 otherwise (the reference exits 0 either way). */
  exitCode: number;
  /** Every request and pushed stream, in the order they were made. */
  records: RequestRecord[];
}

/**
 * How often one request is sent again after REFUSED_STREAM. RFC 9113 section 8.7: "The
 * REFUSED_STREAM error code can be included in a RST_STREAM frame to indicate that the stream is
 * being closed prior to any processing having occurred. Any request that was sent on the reset
 * stream can be safely retried." (A server that announces a small MAX_CONCURRENT_STREAMS refuses
 * what we sent before its SETTINGS arrived.)
 */
export const MAX_REFUSED_RETRIES = 3;

/** How long pushed streams may stay open once every request is answered (unless -t says). */
export const PUSH_GRACE_MS = 10_000;

/** How long --expect-continue waits for 100 before sending the body anyway (as the reference). */
export const EXPECT_CONTINUE_WAIT_MS = 1000;

/** One connection's work: the requests of one origin. */
class ConnectionRun {
  readonly records: RequestRecord[] = [];
  readonly errors: string[] = [];
  total = 0;
  timing!: ConnectionTiming;

  private readonly printer: FramePrinter;
  private readonly verbose: boolean;
  /** Streams not closed yet (an IdMap: one stream in and one out per request allocates nothing). */
  private readonly live = new IdMap<Live>();
  /** -s or -r: the per-request times are printed, so they are taken (a clock read allocates). */
  private readonly timed: boolean;
  private connection: Http2Connection | undefined;
  private readonly queue = new PlanQueue<Planned>();
  /** Own requests and pushed streams not yet closed (what maybeFinish waits for). */
  private ownOpen = 0;
  private pushesOpen = 0;
  private readonly requests: RequestFactory;
  private readonly requested = new Set<string>();
  private gotServerSettings = false;
  private ownInFlight = 0;
  /** Socket reads so far (see Live.submittedInRead). */
  private reads = 0;
  /** The server sent GOAWAY: requests not sent by now never will be. */
  private goawayReceived = false;
  private finishing = false;
  /** Anchors are queued: requests may go. */
  private ready = false;
  private readonly trace: NghttpTrace;
  private readonly startPerf: number;
  /** h2c via HTTP/1.1 Upgrade (-u on an http URI). */
  private readonly useUpgrade: boolean;
  /**
   * The SETTINGS entries, sent as listed (the reference's order: MAX_CONCURRENT_STREAMS,
   * INITIAL_WINDOW_SIZE, HEADER_TABLE_SIZE (the smallest -c first when below the last), then
   * ENABLE_PUSH=0 and NO_RFC7540_PRIORITIES=1 when asked for), all in one SETTINGS frame.
   */
  private readonly settings: ReturnType<typeof initialSettings>;
  /**
   * The Upgrade request nghttp sends: host, connection, upgrade, http2-settings (from the
   * transport), then accept, user-agent and the -H fields (pseudo-headers left out).
   */
  private readonly upgradeRequest: ReturnType<typeof buildUpgradeRequest>;
  /** What the connect attempt saw (set by open()). */
  private watch: ConnectWatch | undefined;

  constructor(
    private readonly o: NghttpOptions,
    private readonly io: NghttpIO,
    private readonly plan: PlanRun[],
    private readonly body: Buffer | undefined,
  ) {
    this.verbose = o.verbose > 0 || o.json;
    this.timed = o.stat || o.har !== undefined;
    this.startPerf = monotonicMs();
    const color = o.color || (!o.json && io.stdout.isTTY === true);
    this.printer = new FramePrinter({
      write: (text) => io.stdout.write(Buffer.from(text, 'latin1')),
      color,
      json: o.json,
      startTime: this.startPerf,
    });
    this.trace = new NghttpTrace({
      printer: this.printer,
      enabled: this.verbose,
      padding: o.padding,
      maxFrameSize: () => this.connection?.session.remoteSettings.maxFrameSize ?? 16384,
      holdData: !o.json,
    });
    for (const r of plan) {
      this.requested.add(r.uri.raw);
      this.queue.push(r.planned, r.count);
      this.total += r.count;
    }
    const first = plan[0].uri;
    this.useUpgrade = o.upgrade && first.scheme === 'http';
    this.settings = initialSettings(o);
    this.requests = new RequestFactory(o, body);
    this.upgradeRequest = buildUpgradeRequest({
      authority: first.authority,
      path: first.path,
      withBody: body !== undefined,
      settings: this.settings,
      headers: o.headers,
    });
  }

  private err(message: string): void {
    this.errors.push(message);
    this.io.stderr.write(`[ERROR] ${message}\n`);
  }

  /** Connect, run every request, close. Never throws: failures end up in `errors`. */
  async run(): Promise<void> {
    const start = nowMicros();
    this.timing = { startWallMs: Date.now(), start, dnsEnd: start, connectEnd: start };
    const address = await this.resolve();
    if (address === undefined) return;
    const cc = await this.open(address);
    if (cc === undefined) return;
    const closed = this.attach(cc);
    if (this.useUpgrade) {
      // The connection emits 'upgraded' as it starts, once stream 1 exists and before it feeds
      // the server's first HTTP/2 bytes: queue the anchors and requests there. Should it have
      // started already, the server's first SETTINGS starts us (begin runs once).
      cc.connection.once('upgraded', () => this.begin());
      this.whenServerSettings = () => this.begin();
    } else {
      // Once the server's first flight (if it has arrived) is read: the ACK of its SETTINGS then
      // goes out right after our SETTINGS, ahead of the anchors and requests, as the reference's.
      cc.connection.once('firstFlight', () => this.begin());
    }
    await closed;
    this.trace.end();
    for (const l of this.live.values()) this.clearTimers(l);
    if (this.pushGraceTimer) clearTimeout(this.pushGraceTimer);
    this.reportEnd(cc.connection);
  }

  /** The first URI's host as an address (the reference's getaddrinfo), or undefined after an error. */
  private async resolve(): Promise<string | undefined> {
    const host = this.plan[0].uri.host;
    if (isIP(host) !== 0) {
      // An address already (getaddrinfo returns it as it is): Node's dns module is not loaded.
      this.timing.dnsEnd = nowMicros();
      return host;
    }
    try {
      const dns = require('dns') as typeof import('dns');
      const { address } = await dns.promises.lookup(host);
      this.timing.dnsEnd = nowMicros();
      return address;
    } catch (e) {
      this.err(`Could not resolve host '${host}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return undefined;
    }
  }

  /**
   * Connect to `address` (TCP, then TLS+ALPN or the h2c Upgrade) with the run's SETTINGS; report
   * a failure or a refused certificate and return undefined then.
   */
  private async open(address: string): Promise<ClientConnection | undefined> {
    const o = this.o;
    const first = this.plan[0].uri;
    const upgradeRequest = this.upgradeRequest;
    const watch = new ConnectWatch(
      o,
      { printer: this.printer, stdout: this.io.stdout, verbose: this.verbose, err: (m) => this.err(m) },
      this.useUpgrade,
      upgradeRequest.headers,
      () => (this.timing.connectEnd = nowMicros()),
    );
    this.watch = watch;
    let cc: ClientConnection;
    try {
      cc = await connect(`${first.scheme}://${first.authority}/`, {
        connectHost: address,
        connectPort: first.port,
        rejectUnauthorized: false,
        // The certificate is checked against Node's store plus NODE_EXTRA_CA_CERTS (deferred by bin/nghttp).
        ca: first.scheme === 'https' ? deferredCaList() : undefined,
        ...(o.cert && o.key ? loadKeyAndCert(o.key, o.cert, { key: '--key', cert: '--cert' }) : {}),
        alpnProtocols: ['h2'],
        // h2c with prior knowledge: reads land in one reused buffer (onData copies what it keeps).
        reuseReadBuffer: true,
        // 128 KiB: a download's window and a half per read (bench:nghttp's 200 MB: one read and
        // one write per round trip instead of two, ~10% less CPU).
        readBufferSize: 131072,
        // -t also bounds connecting (TCP, TLS, Upgrade); the transport's own default otherwise.
        timeout: o.timeout > 0 ? o.timeout : undefined,
        upgrade: this.useUpgrade
          ? { method: upgradeRequest.method, path: this.body !== undefined ? '*' : first.path, headers: upgradeRequest.headers.slice(4) }
          : undefined,
        onConnected: watch.onConnected,
        connection: {
          session: {
            settingsList: this.settings,
            // -W: granted in begin(), after the PRIORITY anchors, where the reference sends it.
            encoderMaxTableSize: o.encoderHeaderTableSize,
            peerMaxConcurrentStreams: o.peerMaxConcurrentStreams,
            padding: o.padding > 0 ? { fixed: o.padding } : undefined,
            // frameSent/frameReceived feed the -v/--json trace only: an event object per frame otherwise.
            frameEvents: this.verbose,
          },
          onEvent: (ev) => this.onEvent(ev),
          // Without -v the stream events come as calls: no event object per DATA frame or request.
          // (-v keeps the objects: the trace orders its lines by them, and -vv's data-chunk line
          // reads the window before the connection gives the octets back.)
          streamHandler: this.verbose ? undefined : this.streamCalls,
          // The reference reads the server's first flight (its SETTINGS) before writing its own.
          readBeforeFirstFlight: true,
          onRawData: o.hexdump
            ? (chunk) => {
                this.reads++;
                this.printer.hexdump(chunk);
              }
            : () => this.reads++,
        },
      });
    } catch (e) {
      watch.reportFailure(e, address, first.port);
      return undefined;
    }
    if (watch.tlsRejected !== undefined) {
      watch.reportTlsRejected();
      cc.connection.destroy();
      return undefined;
    }
    return cc;
  }

  /**
   * Take the connection: pushed streams and the Upgrade's stream 1 are read (their octets reach
   * us as session events), and stream 1 becomes the first request's record. Resolves on close.
   */
  private attach(cc: ClientConnection): Promise<void> {
    const conn = cc.connection;
    this.connection = conn;
    const closed = new Promise<void>((resolve) => conn.once('close', () => resolve()));
    conn.on('error', () => {
      // Reported from the close info in reportEnd().
    });
    conn.on('push', (st) => st.body.resume());
    if (this.useUpgrade) {
      const watch = this.watch as ConnectWatch;
      watch.printUpgradeSuccess();
      cc.upgradeStream?.body.resume();
      if (this.body === undefined) {
        // Stream 1 carries the first request: it was sent as HTTP/1.1.
        const p = this.queue.shift() as Planned;
        const fields = watch.upgradeHeaders.map(([n, v]) => [toByteString(n), toByteString(v)] as HeaderField);
        const rec = this.newRecord(1, p, fields, this.upgradeRequest.method);
        rec.requestStart = this.timing.connectEnd;
        this.ownInFlight++;
      }
    }
    return closed;
  }

  /**
   * Start the exchange (once): the PRIORITY anchors, stream 1 placed under them after an Upgrade,
   * the -W connection window, then the requests.
   */
  private begin(): void {
    const session = (this.connection as Http2Connection).session;
    if (this.ready || session.closed) return;
    const o = this.o;
    for (const a of anchorPriorities(o.noDep)) session.sendPriority(a.streamId, a.priority);
    if (this.useUpgrade && this.body === undefined && !o.noDep) {
      // The Upgrade request could not carry a priority: place stream 1 under the anchor now.
      session.sendPriority(1, { exclusive: false, dependsOn: 11, weight: this.plan[0].planned.priority.weight });
    }
    // The reference grows the connection window after its anchors (WINDOW_UPDATE on stream 0
    // above 65535; a smaller -W sends nothing, it only returns consumed octets sooner).
    const cw = connectionWindow(o);
    if (cw !== undefined) session.setConnectionWindowSize(cw);
    this.ready = true;
    this.pump();
    this.maybeFinish();
  }

  /** The connection closed: say why, once, when it was not the clean end of every request. */
  private reportEnd(conn: Http2Connection): void {
    const info = conn.closeInfo;
    const detail = info?.error ? `: ${info.error.message}` : '';
    const code = info?.errorCode;
    if (code !== undefined && code !== ErrorCode.NO_ERROR) {
      if (info?.by === 'local') this.err(`We closed the connection with ${errorCodeName(code)}${detail} (a protocol error by the server)`);
      else if (!this.errors.some((m) => m.includes('GOAWAY'))) this.err(`The connection ended with ${errorCodeName(code)}${detail}`);
    } else if (!this.errors.length && !this.goawayReceived && (this.queue.length || this.records.some((r) => !r.pushed && !r.completed))) {
      this.err(`The connection closed before every response arrived${detail}`);
    }
  }

  private newRecord(streamId: number, p: Planned, requestHeaders: HeaderField[], method: string): RequestRecord {
    const rec: RequestRecord = {
      streamId,
      uri: p.uri.raw,
      path: p.uri.path,
      method,
      pushed: false,
      requestHeaders,
      responseHeaders: [],
      status: 0,
      responseLength: 0,
      completed: false,
    };
    this.records.push(rec);
    this.live.set(streamId, newLive(rec, p, true, p.level));
    this.ownOpen++;
    return rec;
  }

  /**
   * Submit queued requests while the assumed (-M) or announced concurrency allows. The rest wait
   * here as plans, not in the session as streams: `-m 40000` would otherwise hold 40000 stream
   * records (old-generation garbage) where the server lets 100 run. The wire order is the same:
   * the next HEADERS follows the close of a stream, as the session's own pending queue sends it.
   */
  private pump(): void {
    const conn = this.connection;
    if (!conn || !this.ready || this.finishing || conn.session.closed) return;
    // RFC 8441 section 3: an extended CONNECT (-H ':protocol: ...') waits for the server's SETTINGS.
    if (!this.gotServerSettings && this.o.headers.some(([n]) => n === ':protocol')) return;
    // The session's view: -M until the server's SETTINGS say otherwise.
    const remote = conn.session.remoteSettings;
    while (this.queue.length && this.ownInFlight < remote.maxConcurrentStreams) {
      this.submit(this.queue.shift() as Planned);
    }
  }

  private submit(p: Planned): void {
    const o = this.o;
    const session = (this.connection as Http2Connection).session;
    const built = this.requests.headers(p);
    const withBody = p.level === 0 && this.body !== undefined;
    let id: number;
    try {
      id = session.request(built.fields, this.requests.options(p.priority, withBody));
    } catch (e) {
      if (this.goawayReceived) this.notAllowed([p.uri.raw]);
      else this.err(`${p.uri.raw}: could not send the request: ${(e as Error).message}`);
      // Nothing else may be waiting: end the connection as after the last response.
      queueMicrotask(() => this.maybeFinish());
      return;
    }
    this.ownInFlight++;
    const rec = this.newRecord(id, p, built.recorded, built.method);
    if (this.timed) rec.requestStart = nowMicros();
    const l = this.live.get(id) as Live;
    if ((this.connection as Http2Connection).receiving) l.submittedInRead = this.reads;
    if (o.timeout > 0) {
      l.timer = setTimeout(() => {
        if (l.closed) return;
        l.timedOut = true;
        this.err(`${rec.uri}: no complete response within ${o.timeout} ms (-t); cancelling stream ${id}`);
        try {
          session.reset(id, ErrorCode.CANCEL);
        } catch {
          // already gone
        }
      }, o.timeout);
    }
    if (withBody) {
      if (built.expectContinue) {
        l.waitingContinue = true;
        l.continueTimer = setTimeout(() => this.sendBody(id), EXPECT_CONTINUE_WAIT_MS);
      } else {
        this.sendBody(id);
      }
    }
  }

  private sendBody(id: number): void {
    const l = this.live.get(id);
    if (!l || l.closed || !this.connection) return;
    l.waitingContinue = false;
    if (l.continueTimer) clearTimeout(l.continueTimer);
    l.continueTimer = undefined;
    const session = this.connection.session;
    const trailers = buildTrailers(this.o.trailers);
    try {
      session.sendData(id, this.body as Buffer, trailers.length === 0);
      if (trailers.length) session.sendTrailers(id, trailers);
    } catch (e) {
      this.err(`${l.rec.uri}: could not send the request body: ${(e as Error).message}`);
    }
  }

  private clearTimers(l: Live): void {
    if (l.timer) clearTimeout(l.timer);
    if (l.continueTimer) clearTimeout(l.continueTimer);
    l.timer = l.continueTimer = undefined;
  }

  /** Everything asked for has closed: say goodbye (GOAWAY NO_ERROR), as the reference. */
  private pushGraceTimer: NodeJS.Timeout | undefined;
  /** Upgrade fallback: start the anchors and requests when the server's SETTINGS arrive. */
  private whenServerSettings: (() => void) | undefined;

  private maybeFinish(): void {
    if (this.finishing || !this.ready || !this.connection || this.queue.length || this.ownOpen > 0) return;
    if (this.pushesOpen > 0) {
      // Every request is answered; a server that promised a push and never completes it must
      // not keep us forever: cancel what is left after a grace period (-t, else 10 s).
      if (!this.pushGraceTimer) {
        this.pushGraceTimer = setTimeout(
          () => {
            const session = this.connection?.session;
            for (const [id, l] of this.live) {
              if (l.closed || l.own || !session) continue;
              try {
                session.reset(id, ErrorCode.CANCEL);
              } catch {
                // already gone
              }
            }
          },
          this.o.timeout > 0 ? this.o.timeout : PUSH_GRACE_MS,
        );
        this.pushGraceTimer.unref?.();
      }
      return;
    }
    if (this.pushGraceTimer) clearTimeout(this.pushGraceTimer);
    this.finishing = true;
    try {
      this.connection.session.goaway(ErrorCode.NO_ERROR);
    } catch {
      // session already closed
    }
  }

  // ------------------------------------------------------------------ session events

  /** The stream kinds as calls (ConnectionOptions.streamHandler); see open(). */
  private readonly streamCalls: Partial<StreamHandler> = {
    responseReceived: (id, headers) => this.onResponse(id, headers),
    dataReceived: (id, data) => this.onData(id, data),
    streamEnded: (id) => this.onEnded(id),
    streamReset: (id, code, remote) => this.onReset(id, code, remote),
    streamClosed: (id, code) => this.onClosed(id, code),
  };

  private onEvent(ev: SessionEvent): void {
    if (this.trace.beforeEvent(ev.type === 'dataReceived' ? ev.streamId : undefined) && ev.type === 'dataReceived') {
      // The payload of the DATA frame just received: write it, then its line.
      this.onData(ev.streamId, ev.data);
      this.trace.releaseData();
      return;
    }
    switch (ev.type) {
      case 'frameSent':
        // The session reports a frame as sent when the transport takes its bytes (the moment
        // nghttp2's on_frame_send fires), so it is printed now.
        this.trace.sent(ev.frame, ev.headers, ev.category);
        this.trace.flushSent();
        break;
      case 'frameReceived':
        this.trace.received(ev.frame, ev.headers, ev.category);
        break;
      case 'settingsReceived':
        this.gotServerSettings = true;
        if (this.whenServerSettings) {
          const go = this.whenServerSettings;
          this.whenServerSettings = undefined;
          go();
        }
        this.pump();
        break;
      case 'responseReceived':
        this.onResponse(ev.streamId, ev.headers);
        break;
      case 'pushPromiseReceived':
        this.onPushPromise(ev.promisedStreamId, ev.headers);
        break;
      case 'dataReceived':
        this.onData(ev.streamId, ev.data);
        break;
      case 'streamEnded':
        this.onEnded(ev.streamId);
        break;
      case 'streamReset':
        this.onReset(ev.streamId, ev.errorCode, ev.remote);
        break;
      case 'streamClosed':
        this.onClosed(ev.streamId, ev.errorCode);
        break;
      case 'goawayReceived':
        this.onGoaway(ev.lastStreamId, ev.errorCode, ev.debugData);
        break;
      default:
        break;
    }
  }

  /**
   * The server's GOAWAY. nghttp2 fails, at its next send, every request whose HEADERS has not gone
   * out yet ("request HEADERS is not allowed"), and the reference prints one line for each; the
   * streams it had sent above last_stream_id close silently (REFUSED_STREAM: the summary line
   * counts them). Here the unsent requests are the queued ones and those submitted during the read
   * that carried the GOAWAY (their HEADERS leaves with the flush after it). A GOAWAY with an error
   * code also gets a line of its own (the reference prints none).
   */
  private onGoaway(lastStreamId: number, errorCode: number, debugData: Buffer): void {
    this.goawayReceived = true;
    if (errorCode !== ErrorCode.NO_ERROR) {
      const dbg = debugData.length ? `: ${debugData.toString('latin1')}` : '';
      this.err(`The server sent GOAWAY with ${errorCodeName(errorCode)} (last_stream_id=${lastStreamId})${dbg}`);
    }
    const unsent: string[] = [];
    for (const l of this.live.values()) {
      if (l.own && !l.closed && l.rec.streamId > lastStreamId && l.submittedInRead === this.reads) unsent.push(l.rec.uri);
    }
    for (let p = this.queue.shift(); p !== undefined; p = this.queue.shift()) unsent.push(p.uri.raw);
    this.notAllowed(unsent);
  }

  /** The reference's line for each request that could not be sent because the connection is going away. */
  private notAllowed(uris: string[]): void {
    if (uris.length === 0) return;
    // One write: -m 40000 against an early GOAWAY makes ~40000 of these lines.
    const lines = uris.map(notAllowedText);
    for (const line of lines) this.errors.push(line);
    this.io.stderr.write(`[ERROR] ${lines.join('\n[ERROR] ')}\n`);
  }

  private onEnded(id: number): void {
    const l = this.live.get(id);
    if (l) l.remoteEnded = true;
  }

  private onReset(id: number, errorCode: number, remote: boolean): void {
    const l = this.live.get(id);
    if (!l) return;
    l.resetCode = errorCode;
    l.resetRemote = remote;
    if (
      remote &&
      errorCode === ErrorCode.REFUSED_STREAM &&
      l.plan &&
      l.rec.responseStart === undefined &&
      (l.plan.refusals ?? 0) < MAX_REFUSED_RETRIES &&
      !this.finishing
    ) {
      l.retry = true;
    } else if (remote && l.own && !l.remoteEnded) {
      this.err(`${l.rec.uri}: the server reset stream ${id} with ${errorCodeName(errorCode)}`);
    }
  }

  private onResponse(id: number, headers: HeaderField[]): void {
    const l = this.live.get(id);
    if (!l) return;
    const rec = l.rec;
    // 0 without -s/-r: still says "a response began" (REFUSED_STREAM retries look at it).
    if (rec.responseStart === undefined) rec.responseStart = this.timed ? nowMicros() : 0;
    const status = Number(header(headers, ':status'));
    if (status >= 100 && status < 200) {
      if (status === 100 && l.waitingContinue) this.sendBody(id);
      return;
    }
    rec.status = Number.isFinite(status) ? status : 0;
    rec.responseHeaders = headers;
    if (l.waitingContinue) {
      // A final answer before 100 Continue: the body is not wanted; end our side without it.
      l.waitingContinue = false;
      if (l.continueTimer) clearTimeout(l.continueTimer);
      try {
        this.connection?.session.endStream(id);
      } catch {
        // already closed
      }
    }
    const ce = (header(headers, 'content-encoding') ?? '').trim().toLowerCase();
    if (ce === 'gzip' || ce === 'deflate') {
      l.inflate = ce;
      l.compressed = [];
    }
    if (this.o.getAssets && l.level === 0) {
      // htmlparser2 (~20 modules) is loaded only by -a runs: start-up is most of a one-shot fetch.
      const { AssetParser: Parser } = require('./assets') as typeof import('./assets');
      l.assets = new Parser(rec.uri);
    }
  }

  private onPushPromise(promisedId: number, headers: HeaderField[]): void {
    const rec = pushedRecord(promisedId, headers);
    this.records.push(rec);
    this.live.set(promisedId, newLive(rec, undefined, false, 1));
    this.pushesOpen++;
    // A pushed resource is not requested again by -a (the reference keeps one path cache).
    this.requested.add(rec.uri);
  }

  private onData(id: number, data: Buffer): void {
    const l = this.live.get(id);
    if (!l) return;
    // -vv: the reference's data-chunk line, before the payload and the DATA frame line; srecv and
    // crecv are the octets received and not yet given back by WINDOW_UPDATE (this frame's included).
    if (this.o.verbose >= 2) {
      const session = (this.connection as Http2Connection).session;
      this.printer.dataChunk(id, data.length, session.unacknowledgedData(id), session.unacknowledgedData(0));
    }
    l.rec.responseLength += data.length;
    // A view of a reused read buffer: copied where it outlives this call (kept or queued for stdout).
    const reused = (this.connection as Http2Connection).readBufferReused;
    if (l.compressed) {
      l.compressed.push(reused ? Buffer.from(data) : data);
      return;
    }
    this.deliver(l, reused && !this.o.nullOut ? Buffer.from(data) : data);
  }

  private deliver(l: Live, data: Buffer): void {
    if (!this.o.nullOut && data.length) this.io.stdout.write(data);
    if (l.assets) {
      l.assets.write(data);
      this.addAssets(l);
    }
  }

  private addAssets(l: Live): void {
    const parser = l.assets as AssetParser;
    const base = parseTargetUri(l.rec.uri);
    for (const link of parser.takeLinks()) {
      let uri: TargetUri;
      try {
        uri = parseTargetUri(link.uri);
      } catch {
        continue;
      }
      if (!sameOrigin(uri, base)) continue;
      if (this.o.multiply === 1 && this.requested.has(uri.raw)) continue;
      this.requested.add(uri.raw);
      // Keep the page's own authority spelling so the request matches what the user typed.
      uri = { ...uri, authority: base.authority };
      this.total++;
      this.queue.push({ uri, priority: resourcePriority(link.type as ResourceType, this.o.noDep), level: l.level + 1 });
    }
    this.pump();
  }

  private onClosed(id: number, errorCode: number): void {
    const l = this.live.get(id);
    if (!l || l.closed) return;
    l.closed = true;
    if (l.own) this.ownOpen--;
    else this.pushesOpen--;
    this.clearTimers(l);
    const rec = l.rec;
    if (this.timed) rec.responseEnd = nowMicros();
    rec.completed = l.remoteEnded && errorCode === ErrorCode.NO_ERROR && rec.status > 0 && !l.timedOut;
    if (l.compressed) {
      const all = Buffer.concat(l.compressed);
      l.compressed = undefined;
      let out: Buffer;
      try {
        out = decompressBody(all, l.inflate);
      } catch (e) {
        this.err(`${rec.uri}: could not decompress the ${l.inflate} body: ${(e as Error).message}`);
        out = Buffer.alloc(0);
      }
      this.deliver(l, out);
    }
    if (l.assets) {
      l.assets.end();
      this.addAssets(l);
      l.assets = undefined;
    }
    if (l.own) this.ownInFlight--;
    // Its record stays (in `records`); its bookkeeping goes.
    this.live.delete(id);
    if (l.retry && l.plan) {
      // Forget the refused attempt and ask again on a new stream, ahead of the rest.
      this.records.splice(this.records.indexOf(rec), 1);
      this.queue.unshift({ ...l.plan, refusals: (l.plan.refusals ?? 0) + 1 });
    }
    this.pump();
    this.maybeFinish();
  }
}

/**
 * Run nghttp: read the body, fetch every URI (one connection per run of same-origin URIs),
 * print -s and write -r at the end. Resolves with the counts and the exit code; never rejects
 * for network or protocol trouble (those are messages on stderr and a non-zero exit code).
 */
export async function runNghttp(o: NghttpOptions, io: NghttpIO): Promise<NghttpResult> {
  let body: Buffer | undefined;
  if (o.data !== undefined) {
    try {
      body = await readBody(o.data, io.stdin);
    } catch (e) {
      io.stderr.write(`[ERROR] Could not open file ${o.data}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return { total: 0, processed: 0, exitCode: 1, records: [] };
    }
  }
  if (o.cert !== undefined && o.key !== undefined) {
    try {
      loadKeyAndCert(o.key, o.cert, { key: '--key', cert: '--cert' });
    } catch (e) {
      io.stderr.write(`[ERROR] ${(e as Error).message}\n`);
      return { total: 0, processed: 0, exitCode: 1, records: [] };
    }
  }
  const plan = planRuns(o);
  const runs: ConnectionRun[] = [];
  let total = 0;
  let processed = 0;
  for (const group of groupByOrigin(plan)) {
    const run = new ConnectionRun(o, io, group, body);
    runs.push(run);
    await run.run();
    const done = run.records.filter((r) => !r.pushed && r.completed).length;
    total += run.total;
    processed += done;
    if (o.stat) io.stdout.write(formatStats(run.timing, run.records));
    if (done < run.total) io.stderr.write(`Some requests were not processed. total=${run.total}, processed=${done}\n`);
  }
  const records = runs.flatMap((r) => r.records);
  if (o.har !== undefined && runs.length) {
    const text = formatHar(runs[0].timing, records, packageVersion());
    if (o.har === '-') io.stdout.write(text);
    else {
      try {
        fs.writeFileSync(o.har, text);
      } catch (e) {
        io.stderr.write(`[ERROR] Could not write HAR file ${o.har}: ${(e as Error).message}\n`);
        return { total, processed, exitCode: 1, records };
      }
    }
  }
  return { total, processed, exitCode: processed === total ? 0 : 1, records };
}
