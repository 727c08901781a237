/**
 * One h2load client: one connection (reopened after an HTTP/1.1 `Connection: close`, or a GOAWAY
 * that leaves requests to send once the connection is gone), up to -m requests in flight, paths round-robin, and the bookkeeping
 * h2load does per request (started/done/succeeded/failed/errored/timeout, status classes, bytes,
 * connect time, time to first byte). HTTP/2 runs over the project's Http2Connection on a socket
 * dialed here; HTTP/1.1 (--h1, -p http/1.1, ALPN http/1.1) is http1-client.ts.
 */
import net = require('net');
import { tls as loadTls } from '../../lazy';
import type { Duplex } from 'stream';
import { Http2Connection } from '../../transport/connection';
import { SocketReads, threadReadBuffer } from '../../transport/socket-reads';
import { IdMap } from '../../protocol/session/id-map';
import type { ResponseCounter, SessionEvent, SessionLimits, StreamHandler } from '../../protocol/session/session';
import type { HeaderField } from '../../protocol/frame/types';
import { FrameType } from '../../protocol/frame/constants';
import { ErrorCode, errorCodeName } from '../../protocol/errors';
import { Http1Client } from './http1-client';
import { H2LOAD_TLS_DEFAULTS, type H2loadConfig, type Target } from './options';
import { suitesContext } from '../common/tls-suites';
import { ClientStat, countInTimeline, noteFailure, REHEARSAL_AT, recordRequestTime, WorkerStats } from './stats';
import { recordMicros } from './histogram';
import { unpinFields } from '../../protocol/mutable-fields';
import { wallOriginMs } from './clock';

/** Where a timing-based run (-D) is; non-timing runs are 'main' throughout. */
export type Phase = 'initial' | 'warmup' | 'main' | 'over';

/** What a client needs from its worker. */
export interface ClientHost {
  readonly id: number;
  readonly config: H2loadConfig;
  readonly target: Target;
  readonly stats: WorkerStats;
  readonly phase: Phase;
  readonly timing: boolean;
  /** The POST body (-d), if any. */
  readonly postData: Buffer | undefined;
  /** Request header lists (HTTP/2) per path index. */
  readonly h2Requests: HeaderField[][];
  /** Request heads (HTTP/1.1) per path index. */
  readonly h1Requests: Buffer[];
  /** The SETTINGS and limits of every HTTP/2 connection ({@link h2SessionParts}). */
  readonly h2Session: H2SessionParts;
  /** Monotonic milliseconds. */
  now(): number;
  /** Print one line on stdout. */
  out(line: string): void;
  /** Print bytes as they are (HTTP/1.1 -v dumps what it reads, as h2load does). */
  outRaw(bytes: Buffer): void;
  /** First connection of the run: print TLS and application protocol (thread 0 only, once). */
  printAppInfo(protocol: string, socket: Duplex): void;
  /** The TLS lines alone (thread 0 only, once), before an ALPN verdict. */
  printTlsInfo(socket: Duplex): void;
  /** Timing-based: the first connect starts the warm-up. */
  beginWarmUp(): void;
  reportProgress(): void;
  logRow(startUs: number, status: number, durationUs: number): void;
  clientDone(c: Client): void;
}

interface RequestState {
  start: number;
  wallUs: number;
  status: number;
  /** 1: 2xx/3xx (or any response during warm-up), 0: other, -1: no status yet. */
  statusSuccess: number;
  /** Submitted during the main phase: counted in the summary. */
  counted: boolean;
  /** The time to the first response byte is recorded. */
  firstByte: boolean;
  /** The next spare record (while this one is spare). */
  next: RequestState | null;
}

/** nghttp2's assumption about a peer's SETTINGS_MAX_CONCURRENT_STREAMS before its SETTINGS arrive. */
const PEER_MAX_STREAMS_BEFORE_SETTINGS = 100;

const wallMicros = (): number => Math.floor((performance.timeOrigin + performance.now()) * 1000);

/** The SETTINGS and limits every HTTP/2 connection of a worker asks for (see {@link h2SessionParts}). */
export interface H2SessionParts {
  settings: Record<string, number | boolean>;
  limits: Partial<SessionLimits>;
}

/**
 * The SETTINGS and limits for the sessions of a run under `cfg`: its worker makes them once and
 * every connection shares them (a session only reads them, and its connection keeps its options:
 * two objects per connection were ~0.1 KB).
 */
export function h2SessionParts(cfg: H2loadConfig): H2SessionParts {
  // Window sizes as small integers (`| 0`; -w and -W are at most 30): `**` makes a double, and a
  // double stored in a field boxes that field in every object of its shape (the session's
  // settings, windows and flow records: ~0.1 KB per connection).
  const settings: Record<string, number | boolean> = { enablePush: false, initialWindowSize: (2 ** cfg.windowBits - 1) | 0 };
  if (cfg.maxFrameSize !== 16384) settings.maxFrameSize = cfg.maxFrameSize;
  if (cfg.headerTableSize !== 4096) settings.headerTableSize = cfg.headerTableSize;
  return { settings, limits: { maxPendingRequests: Math.max(100000, cfg.maxConcurrentStreams * 2) } };
}

/** One client (see the module comment). */
export class Client implements ResponseCounter, Partial<StreamHandler> {
  readonly cstat: ClientStat = { clientStart: -1, clientEnd: -1, connectStart: -1, connectTime: -1, ttfb: -1, reqSuccess: 0 };
  reqLeft: number;
  reqInflight = 0;
  /** In-flight requests by stream id (an IdMap: no table reallocated per request, see id-map.ts). */
  private readonly streams = new IdMap<RequestState>();
  /**
   * Records of finished requests, reused: no object per request. A list through their `next`
   * fields, not an array (an array's first push makes 17 slots: ~0.18 KB per connection).
   */
  private spare: RequestState | null = null;
  private uriIndex = 0;
  private conn: Http2Connection | undefined;
  private h1: Http1Client | undefined;
  private socket: Duplex | undefined;
  /** Cleartext HTTP/2: the socket reads into the thread's shared buffer, not a new one per read. */
  private reads: SocketReads | undefined;
  private newConnectionRequested = false;
  private finished = false;
  private terminating = false;
  private activeTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private rpsTimer: NodeJS.Timeout | undefined;
  private rpsPending = 0;
  private peerSettingsSeen = false;
  /**
   * The connection ended by -T / -N. The reference never frees such a client, so its connect,
   * first-byte and req/s samples are never taken: the worker leaves it out of those rows too.
   */
  timedOut = false;
  /** --timing-script-file: the timer of the next scripted request (unset while -m streams are open). */
  private scriptTimer: NodeJS.Timeout | undefined;
  /** The last stream id a request was sent on (a GOAWAY below it left requests unanswered). */
  private lastSubmitted = 0;
  /** The socket error that ended the connection, if one did. */
  private closeError: Error | undefined;
  /** A failed stream's close, not yet explained by a later event. */
  private unexplained: string | undefined;
  /**
   * When the bytes being handled were read (set by onRead). Events raised while they are handled
   * (statuses, bodies, closes, the requests sent in their place) take this time: one clock read
   * per socket read instead of ~3 per request. A clock read costs ~0.4 us on these VMs (kvm-clock
   * through the vDSO): at -c 10 -m 10 that was ~10% of the client's CPU per request.
   */
  private readAt = 0;
  /** HTTP/1.1: a read is being handled (HTTP/2 asks its connection). */
  h1Reading = false;

  constructor(
    readonly host: ClientHost,
    readonly id: number,
    reqTodo: number,
  ) {
    this.reqLeft = host.timing ? 1 : reqTodo;
    // Assigned when the client ends (disconnected, clearTimers): mutable from the first client on
    // (see mutable-fields).
    unpinFields(this, 'terminating', 'finished', 'conn', 'h1', 'socket', 'activeTimer', 'idleTimer', 'rpsTimer', 'scriptTimer');
  }

  /** Connect and start sending. */
  start(): void {
    this.connect();
  }

  /** A connection starts in the measured phase, or -D's main phase began: (re)start the clocks. */
  onMainPhase(): void {
    const now = this.host.now();
    // The client's req/s clock starts at its first connection (kept across reconnects, as h2load);
    // the connect and first-byte clocks restart with each connection.
    if (this.cstat.clientStart < 0) this.cstat.clientStart = now;
    this.cstat.connectTime = -1;
    this.cstat.ttfb = -1;
    this.cstat.connectStart = now;
  }

  /** -D: the main phase is over: close at once (in-flight requests are not counted). */
  stop(): void {
    this.terminate();
  }

  private connect(): void {
    const h = this.host;
    if (!h.timing || h.phase === 'main') {
      this.onMainPhase();
    } else if (h.phase === 'initial') {
      h.beginWarmUp();
    }
    const t = h.target;
    const cfg = h.config;
    let socket: net.Socket;
    const onUp = (protocol: string) => {
      socket.off('error', onFail);
      this.connectionMade(protocol, socket);
    };
    const onFail = (err?: Error) => {
      noteFailure(
        this.host.stats,
        err
          ? `could not connect to ${t.connectHost ?? t.unixPath}:${t.connectPort ?? ''}: ${(err as NodeJS.ErrnoException).code ?? err.message}`
          : 'could not start the connection (no supported protocol)',
      );
      socket.destroy();
      this.disconnected();
    };
    if (t.scheme === 'https') {
      const servername = t.host;
      const ts = loadTls().connect({
        ...(t.unixPath ? { path: t.unixPath } : { host: t.connectHost, port: t.connectPort }),
        servername: net.isIP(servername) ? undefined : servername,
        ALPNProtocols: cfg.npnList,
        rejectUnauthorized: false,
        secureContext: suitesContext(cfg.tlsSuites ?? {}, H2LOAD_TLS_DEFAULTS),
      });
      socket = ts;
      ts.once('secureConnect', () => {
        const alpn = ts.alpnProtocol;
        if (alpn === 'h2' || alpn === 'h2-16' || alpn === 'h2-14') onUp('h2');
        else if (alpn === 'http/1.1') onUp('http/1.1');
        else {
          // The reference's wording and order: TLS lines, then the ALPN verdict.
          h.printTlsInfo(ts);
          h.out('No protocol negotiated. Fallback behaviour may be activated');
          if (cfg.npnList.includes('http/1.1')) {
            h.out('Server does not support NPN/ALPN. Falling back to HTTP/1.1.');
            onUp('http/1.1');
          } else {
            h.out('No supported protocol was negotiated. Supported protocols were:');
            for (const p of cfg.npnList) h.out(p);
            onFail();
          }
        }
      });
    } else {
      const where = t.unixPath ? { path: t.unixPath } : { host: t.connectHost, port: t.connectPort };
      // h2c: reads land in one buffer per thread (Node allocates 64 KiB per read otherwise and
      // pushes it through a Readable); h2load keeps nothing of them but counts. HTTP/1.1 reads 'data'.
      this.reads = cfg.noTlsProto === 'h2c' ? new SocketReads(threadReadBuffer()) : undefined;
      socket = net.connect(this.reads ? { ...where, onread: this.reads.onread } : where);
      socket.once('connect', () => onUp(cfg.noTlsProto));
    }
    socket.setNoDelay(true);
    socket.once('error', onFail);
    this.socket = socket;
  }

  private connectionMade(protocol: string, socket: net.Socket): void {
    const h = this.host;
    this.cstat.connectTime = h.now();
    h.printAppInfo(protocol, socket);
    const cfg = h.config;
    if (cfg.inactivityTimeoutMs) this.armIdleTimer();
    if (protocol === 'h2' || protocol === 'h2c') this.startH2(socket);
    else this.startH1(socket);
    if (this.finished) return;
    if (cfg.rps > 0) {
      this.rpsPending = 1;
      this.rpsTimer = setInterval(() => {
        this.rpsPending++;
        this.submitPending();
      }, 1000 / cfg.rps);
      this.submitPending();
      return;
    }
    const script = cfg.timingScript;
    if (script) {
      // As the reference: the first request at its offset from the connection, then each at its
      // offset from the previous one; at -m streams the timer waits for a stream to close.
      if (script.offsetsMs[0] > 0) this.scriptTimer = setTimeout(() => this.scriptDue(), script.offsetsMs[0]);
      else this.scriptDue();
      return;
    }
    const m = this.maxInflight();
    let n = h.timing ? Math.max(this.reqLeft, m) : Math.min(this.reqLeft, m);
    for (; n > 0; n--) if (!this.submitRequest()) break;
  }

  /**
   * The next scripted request is due: send it, and those due at the same moment. (A method, its
   * timers given a closure each: a bound field was a closure per client, scripted or not.)
   */
  private scriptDue(): void {
    this.scriptTimer = undefined;
    const offsets = (this.host.config.timingScript as { offsetsMs: number[] }).offsetsMs;
    for (;;) {
      if (this.finished || this.terminating || this.reqLeft === 0) return;
      if (this.streams.size >= this.host.config.maxConcurrentStreams) return;
      if (!this.submitRequest()) {
        this.processRequestFailure();
        return;
      }
      if (this.reqLeft === 0) return;
      const i = this.uriIndex % offsets.length;
      const delay = i === 0 ? offsets[0] : offsets[i] - offsets[i - 1];
      if (delay > 1e-6) {
        this.scriptTimer = setTimeout(() => this.scriptDue(), delay);
        return;
      }
    }
  }

  private maxInflight(): number {
    // HTTP/1.1 with a body: one request at a time (as h2load).
    if (this.h1 && this.host.postData) return 1;
    const m = this.host.config.maxConcurrentStreams;
    // Until the server's SETTINGS arrive, submit at most the 100 streams nghttp2 assumes (the
    // session would queue more, but h2load counts a request as started only once it is sent).
    return this.conn && !this.peerSettingsSeen ? Math.min(m, PEER_MAX_STREAMS_BEFORE_SETTINGS) : m;
  }

  /** The server's first SETTINGS: send the requests held back by the assumed limit. */
  private onPeerSettings(): void {
    if (this.peerSettingsSeen) return;
    this.peerSettingsSeen = true;
    const m = this.maxInflight();
    if (this.host.config.rps > 0) {
      this.submitPending();
      return;
    }
    while (this.streams.size < m && (this.host.timing || this.reqLeft > 0)) if (!this.submitRequest()) break;
  }

  private startH2(socket: net.Socket): void {
    const cfg = this.host.config;
    const { settings, limits } = this.host.h2Session;
    // The socket is ours (dialed above, ALPN checked): the connection just wraps it, synchronously,
    // so requests can be submitted at once (they go out when it starts, on the next microtask).
    const conn = new Http2Connection(socket, {
      session: {
        role: 'client',
        settings,
        connectionWindowSize: (2 ** cfg.connectionWindowBits - 1) | 0,
        encoderMaxTableSize: cfg.encoderHeaderTableSize,
        limits,
        // Frame events (an object and a dispatch per frame each way) only for -v's header lines;
        // the counters come from the response and trailer events.
        frameEvents: cfg.verbose,
        responseCounter: this,
      },
      tickInterval: 0,
      reads: this.reads,
      // Stream events as calls (no event object per request); onEvent gets the connection's kinds.
      streamHandler: this,
      onEvent: (ev) => this.onH2Event(ev),
      onRawData: (chunk) => this.onRead(chunk.length),
    });
    conn.on('close', (info) => {
      if (info.error) this.closeError = info.error;
      this.disconnected();
    });
    // No 'error' listener: the connection emits 'error' only to listeners it has (the error comes
    // with 'close' too), and one that ignores it was a closure per connection for nothing.
    this.conn = conn;
  }

  private startH1(socket: net.Socket): void {
    this.h1 = new Http1Client(socket, this);
    socket.on('close', () => this.disconnected());
    socket.on('error', () => undefined);
  }

  /** Raw bytes arrived (both protocols), before they are handled. */
  onRead(n: number): void {
    this.readAt = this.host.now();
    if (this.host.phase === 'main') this.host.stats.bytesTotal += n;
    if (this.idleTimer) this.idleTimer.refresh();
  }

  /** The time of an event: that of the read being handled, else the clock's. */
  private eventTime(): number {
    return this.h1Reading || (this.conn !== undefined && this.conn.receiving) ? this.readAt : this.host.now();
  }

  private armIdleTimer(): void {
    this.idleTimer = setTimeout(() => this.timeout('-N'), this.host.config.inactivityTimeoutMs);
  }

  /** A stream failure no later event explained: say what is known. */
  private explainFailures(): void {
    if (this.unexplained !== undefined) noteFailure(this.host.stats, this.unexplained);
    this.unexplained = undefined;
  }

  /** -T / -N fired: in-flight requests time out, the rest are abandoned. */
  private timeout(which: '-T' | '-N'): void {
    if (this.finished) return;
    this.timedOut = true;
    const cfg = this.host.config;
    noteFailure(
      this.host.stats,
      which === '-T'
        ? `the connection was still busy after ${cfg.activeTimeoutMs} ms (-T, --connection-active-timeout)`
        : `no activity on the connection for ${cfg.inactivityTimeoutMs} ms (-N, --connection-inactivity-timeout)`,
    );
    if (this.host.phase === 'main') this.host.stats.reqTimedout += this.reqInflight;
    this.newConnectionRequested = false;
    this.terminate();
  }

  private onH2Event(ev: SessionEvent): void {
    switch (ev.type) {
      case 'frameReceived': {
        // Only with -v (frame events are off otherwise): every received header field, as h2load.
        const f = ev.frame;
        if (f.type !== FrameType.HEADERS || !ev.headers) break;
        for (const [n, v] of ev.headers) this.host.out(`[stream_id=${f.streamId}] ${n}: ${v}`);
        break;
      }
      // Responses and their DATA go to response/data; trailers, resets and closes to the StreamHandler methods.
      case 'connectionTerminated':
        if (this.unexplained !== undefined) {
          const code = errorCodeName(ev.errorCode);
          if (!ev.remote && ev.error)
            noteFailure(this.host.stats, `the server broke the protocol: ${ev.error.message} (we sent GOAWAY ${code})`);
          else if (ev.remote && ev.errorCode !== ErrorCode.NO_ERROR)
            noteFailure(this.host.stats, `the server ended the connection with GOAWAY ${code}`);
          else if (ev.remote) noteFailure(this.host.stats, 'the server closed the connection before answering');
          this.unexplained = undefined;
        }
        break;
      case 'settingsReceived':
        this.onPeerSettings();
        break;
      case 'goawayReceived':
        if (this.reqLeft > 0) this.newConnectionRequested = true;
        if (ev.lastStreamId < this.lastSubmitted)
          noteFailure(
            this.host.stats,
            `the server sent GOAWAY ${errorCodeName(ev.errorCode)} (last_stream_id=${ev.lastStreamId}) before answering`,
          );
        break;
      default:
        break;
    }
  }

  // The client is its connection's ResponseCounter (response, data) and StreamHandler for the
  // kinds below, as methods: h2load counts status, header and body octets and never reads a header
  // list or a body, so none is handed over. (Two objects of five closures were ~0.5 KB per
  // connection.) onEvent gets the connection's other kinds.

  /** ResponseCounter: a response header block (its status, HPACK and decoded octets). */
  response(id: number, status: number, blockLength: number, fieldOctets: number): void {
    const st = this.host.stats;
    st.bytesHead += blockLength;
    st.bytesHeadDecomp += fieldOctets;
    this.onStatus(id, status);
  }

  /** ResponseCounter: `n` octets of response content. */
  data(_id: number, n: number): void {
    this.onBody(n);
  }

  /** StreamHandler: a trailer section (its octets count as header traffic). */
  trailersReceived(_id: number, headers: HeaderField[], blockLength: number): void {
    this.countHeaderBytes(blockLength, headers);
  }

  /** StreamHandler: a stream was reset (by the server, or by our session on a stream error). */
  streamReset(id: number, errorCode: number, remote: boolean, reason: string | undefined): void {
    if (this.streams.get(id)?.counted)
      noteFailure(
        this.host.stats,
        `stream ${id} ${remote ? 'reset by the server' : 'reset'} with ${errorCodeName(errorCode)}${reason ? `: ${reason}` : ''}`,
      );
  }

  /** StreamHandler: a stream is fully closed: the request is done, cleanly or not. */
  streamClosed(id: number, errorCode: number): void {
    if (errorCode !== ErrorCode.NO_ERROR && this.streams.get(id)?.counted) {
      // Said after the event that closed it, which may explain it better (a connection error
      // closes every stream first, then says connectionTerminated).
      if (this.unexplained === undefined) queueMicrotask(() => this.explainFailures());
      this.unexplained = `stream ${id} closed with ${errorCodeName(errorCode)}`;
    }
    this.onStreamClose(id, errorCode === ErrorCode.NO_ERROR);
  }

  /** Header traffic of one received field block: its HPACK octets and the fields' name + value octets. */
  private countHeaderBytes(blockLength: number, headers: HeaderField[]): void {
    const st = this.host.stats;
    st.bytesHead += blockLength;
    let d = 0;
    for (let i = 0; i < headers.length; i++) d += headers[i][0].length + headers[i][1].length;
    st.bytesHeadDecomp += d;
  }

  /** A final status arrived on a stream. */
  onStatus(id: number, status: number): void {
    if (status < 200) return;
    const rs = this.streams.get(id);
    if (!rs || rs.statusSuccess !== -1) return;
    if (!rs.firstByte) {
      rs.firstByte = true;
      if (rs.counted && this.host.phase === 'main') recordMicros(this.host.stats.ttfbHist, (this.eventTime() - rs.start) * 1000);
    }
    if (!rs.counted) {
      // Warm-up: a success, but not counted in the status classes.
      rs.statusSuccess = 1;
      return;
    }
    rs.status = status;
    const st = this.host.stats;
    if (status < 400) {
      st.status[Math.floor(status / 100)]++;
      rs.statusSuccess = 1;
    } else if (status < 600) {
      st.status[Math.floor(status / 100)]++;
      rs.statusSuccess = 0;
    } else {
      rs.statusSuccess = 0;
    }
  }

  /** Response body bytes. */
  onBody(n: number): void {
    if (this.cstat.ttfb < 0) this.cstat.ttfb = this.eventTime();
    this.host.stats.bytesBody += n;
  }

  /** Submit as many requests as --rps allows now. */
  private submitPending(): void {
    while (this.rpsPending > 0 && this.reqLeft > 0 && this.reqInflight < this.maxInflight() && !this.finished && !this.terminating) {
      this.rpsPending--;
      if (!this.submitRequest()) break;
    }
  }

  private submitRequest(): boolean {
    const h = this.host;
    if (h.phase === 'over' || this.finished || this.terminating) return false;
    const idx = this.uriIndex++ % h.target.paths.length;
    let id: number;
    try {
      if (this.h1) {
        id = this.h1.request(h.h1Requests[idx], h.postData);
      } else if (this.conn) {
        const s = this.conn.session;
        id = s.request(h.h2Requests[idx], { endStream: !h.postData });
        this.lastSubmitted = id;
        if (h.postData) s.sendData(id, h.postData, true);
      } else {
        return false;
      }
    } catch {
      return false;
    }
    const counted = h.phase === 'main';
    const rs = this.spare;
    const start = this.eventTime();
    const wallUs = h.config.logFile ? wallMicros() : 0;
    if (rs === null) {
      this.streams.set(id, { start, wallUs, status: -1, statusSuccess: -1, counted, firstByte: false, next: null });
    } else {
      this.spare = rs.next;
      rs.next = null;
      rs.start = start;
      rs.wallUs = wallUs;
      rs.status = -1;
      rs.statusSuccess = -1;
      rs.counted = counted;
      rs.firstByte = false;
      this.streams.set(id, rs);
    }
    if (counted) {
      h.stats.reqStarted++;
      this.reqInflight++;
      if (!h.timing) this.reqLeft--;
      // As h2load: -T starts when the last request of this connection has been sent.
      if (h.config.activeTimeoutMs && this.reqLeft === 0 && !this.activeTimer) {
        this.activeTimer = setTimeout(() => this.timeout('-T'), h.config.activeTimeoutMs);
      }
    }
    return true;
  }

  /**
   * A request ended: cleanly (`success`) or by a reset / connection loss. `final`: the connection
   * carries no more requests (HTTP/1.1 `Connection: close`): send nothing more on it.
   */
  onStreamClose(id: number, success: boolean, final = false): void {
    const rs = this.streams.get(id);
    if (!rs) return;
    this.streams.delete(id);
    const h = this.host;
    if (rs.counted && h.phase === 'main') {
      const st = h.stats;
      if (this.reqInflight > 0) this.reqInflight--;
      const end = this.eventTime();
      if (success) {
        st.reqSuccess++;
        this.cstat.reqSuccess++;
        if (rs.statusSuccess === 1) st.reqStatusSuccess++;
        else st.reqFailed++;
        recordRequestTime(st, (end - rs.start) * 1000);
        countInTimeline(st, wallOriginMs + end);
      } else {
        st.reqFailed++;
        st.reqError++;
      }
      st.reqDone++;
      if (h.config.logFile) h.logRow(rs.wallUs, success ? rs.status : -1, Math.floor((end - rs.start) * 1000));
      h.reportProgress();
    }
    // Read for the last time: the next request reuses it.
    rs.next = this.spare;
    this.spare = rs;
    // Also once early in the run, where endIfDone finds requests left (see REHEARSAL_AT): V8
    // optimises this function long before any client ends.
    if (this.reqLeft === 0 || h.stats.reqDone === REHEARSAL_AT) {
      if (this.endIfDone()) return;
    }
    if (this.reqLeft > 0 && !this.terminating && !final) {
      if (h.config.timingScript) {
        if (!this.scriptTimer) this.scriptDue();
      } else if (h.config.rps > 0) this.submitPending();
      else if (!this.submitRequest() && !this.terminating && !this.finished && h.phase !== 'over') {
        // Could not send (e.g. the connection is going away): h2load's process_request_failure.
        this.processRequestFailure();
      }
    }
  }

  /** No request left to send and none in flight: end the connection (true). */
  private endIfDone(): boolean {
    if (this.reqLeft !== 0 || this.reqInflight !== 0) return false;
    this.terminate();
    return true;
  }

  private processRequestFailure(): void {
    if (this.host.phase === 'main') {
      this.host.stats.reqFailed += this.reqLeft;
      this.host.stats.reqError += this.reqLeft;
      // h2load's line, with the thread's failed count so far.
      this.host.out(`Process Request Failure:${this.host.stats.reqFailed}`);
    }
    this.reqLeft = 0;
    if (this.reqInflight === 0) this.terminate();
  }

  /** HTTP/1.1: the server will close after this response. */
  requestNewConnection(): void {
    if (this.reqLeft > 0) this.newConnectionRequested = true;
  }

  private terminate(): void {
    if (this.terminating || this.finished) return;
    this.terminating = true;
    if (this.conn) this.conn.destroy(undefined, ErrorCode.NO_ERROR);
    else this.socket?.destroy();
    // The socket's close event calls disconnected(); make sure it happens even if it never fires.
    setImmediate(() => this.disconnected());
  }

  /** The connection is gone (or never came up). */
  private disconnected(): void {
    if (this.finished) return;
    const h = this.host;
    this.cstat.clientEnd = h.now();
    this.clearTimers();
    this.socket?.destroy();
    this.conn = undefined;
    this.h1 = undefined;
    this.peerSettingsSeen = false;
    const main = h.phase === 'main';
    if (this.newConnectionRequested && this.reqLeft > 0 && !this.terminating && h.phase !== 'over') {
      this.newConnectionRequested = false;
      // In-flight requests cannot be restarted on the new connection: they fail (as h2load).
      if (main) {
        h.stats.reqFailed += this.reqInflight;
        h.stats.reqError += this.reqInflight;
      }
      this.reqInflight = 0;
      this.streams.clear();
      this.connect();
      return;
    }
    this.finished = true;
    if (main) {
      // With -D there is no request count: only the requests in flight are abandoned.
      const abandoned = this.reqInflight + (h.timing ? 0 : this.reqLeft);
      if (this.reqInflight > 0)
        noteFailure(
          h.stats,
          `the connection was lost with ${this.reqInflight} request(s) unanswered${this.closeError ? `: ${this.closeError.message}` : ''}`,
        );
      h.stats.reqFailed += abandoned;
      h.stats.reqError += abandoned;
    }
    this.reqInflight = 0;
    this.reqLeft = 0;
    this.streams.clear();
    h.clientDone(this);
  }

  private clearTimers(): void {
    if (this.activeTimer) clearTimeout(this.activeTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.rpsTimer) clearInterval(this.rpsTimer);
    if (this.scriptTimer) clearTimeout(this.scriptTimer);
    this.activeTimer = this.idleTimer = this.rpsTimer = this.scriptTimer = undefined;
  }
}
