/**
 * nghttpx's forwarding: one request from a frontend to its backend and the answer back, with the
 * header rewriting, generated error pages, backpressured bodies both ways and the access log
 * record. Frontends call {@link Forwarder.forward}; nothing here knows the frontend's protocol.
 */
import { sniRoutable, tlsLogInfo } from './tls';
import { isUpgradeRequest, openTunnel } from './tunnels';
import type { Backend, BackendExchange, BackendFailure, BackendResponse, ExchangeListener } from './backends';
import { canPush, linkPushes, pushedRequest } from './push';
import type { BackendGroup, BackendGroups, Selection } from './groups';
import { ErrorCode } from '../../protocol/errors';
import { CHUNKED_LOAD, headLoad, overLimit, trailersWithin } from './header-limits';
import { backendRequestFields, errorPage, frontendResponseFields, REASONS } from './headers';
import { altSvcValue, forwardedElement, forwardedNode, httpsRedirect, obfuscatedNode, parseAltSvc, rewriteLocation } from './rewrite';
import type { AccessRecord } from './log';
import fs = require('fs');
import type { BackendAddress, LogLevel, NghttpxOptions } from './config';
import { ApiHost, handleApiRequest } from './api';
import { BackendRequest, ClientSide, Field, ProxyRequest, versionString } from './request';

/** What forwarding needs from the proxy around it. */
export interface ForwardingContext {
  options: NghttpxOptions;
  /** The `api` frontend's backend replacement (see api.ts); absent: 404 for API requests. */
  api?: ApiHost<BackendAddress>;
  /** The current backends (replaced whole by the API). */
  groups: BackendGroups;
  log(level: LogLevel, where: string, msg: string): void;
  access(r: AccessRecord): void;
  /** False when there is no access log: no record is built (default true). */
  logsAccess?: boolean;
}

/** RFC 9110 section 6.5.1: trailer fields a proxy forwards are those of the message, not connection-specific ones. */
const CONNECTION_SPECIFIC = ['connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade'];

/** The frontend's framing field for an HTTP/1.1 client's body of unknown length. */
const CHUNKED_FRAMING: Field[] = [['transfer-encoding', 'chunked']];
/** No framing field (read only). */
const NO_FRAMING: Field[] = [];
/** No Set-Cookie or Alt-Svc added (read only). */
const NOTHING_ADDED = {};

/** Whether `fields` has a field named `name` (no closure, unlike `some`). */
function hasField(fields: Field[], name: string): boolean {
  for (let i = 0; i < fields.length; i++) if (fields[i][0] === name) return true;
  return false;
}

/** Forwards requests; one per running configuration. */
export class Forwarder {
  /** `--forwarded-by=obfuscated`: one name for the life of the process. */
  private readonly byName: string;
  /** `--forwarded-for=obfuscated`: one name per client connection. */
  private readonly forNames = new WeakMap<object, string>();
  private readonly altSvcH1: string | undefined;
  private readonly altSvcH2: string | undefined;
  /** `--add-forwarded` parameters. */
  private readonly forwardedParams: ReadonlySet<string>;
  /** `--error-page` bodies, read at start-up. */
  private readonly errorPages = new Map<number | '*', Buffer>();
  /** `sni-fwd`: the SNI names a frontend certificate serves (the ones nghttpx routes by). */
  private readonly sniRoutable: ((servername: string) => boolean) | undefined;
  /**
   * The last backend response fields relayed without added fields, what they were rewritten
   * with, and the frontend list made of them (see {@link plainHead}).
   */
  private readonly lastHead: {
    fields?: Field[];
    proto?: BackendAddress['proto'];
    options?: NghttpxOptions;
    framing?: Field[];
    out?: Field[];
  } = {};

  constructor(private readonly ctx: ForwardingContext) {
    const o = ctx.options;
    this.sniRoutable = o.frontends.some((f) => f.sniFwd && !f.noTls) ? sniRoutable(o) : undefined;
    this.byName = o.forwardedBy === 'obfuscated' || o.forwardedBy === 'ip' ? obfuscatedNode() : o.forwardedBy;
    this.altSvcH1 = o.altsvcs.length ? altSvcValue(o.altsvcs.map(parseAltSvc)) : undefined;
    this.altSvcH2 = o.http2Altsvcs.length ? altSvcValue(o.http2Altsvcs.map(parseAltSvc)) : undefined;
    this.forwardedParams = new Set(o.addForwarded);
    for (const [code, file] of o.errorPages) {
      try {
        this.errorPages.set(code, fs.readFileSync(file));
      } catch (err) {
        throw new Error(`error-page: could not read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  }

  /** Answer a status nghttpx generates itself (404, 502...), with its error page (or `--error-page`'s). */
  generated(req: ProxyRequest, client: ClientSide, code: number, record: (status: number, bytes: number) => void): void {
    const o = this.ctx.options;
    const body = this.errorPages.get(code) ?? this.errorPages.get('*') ?? Buffer.from(errorPage(code, REASONS[code] ?? 'Error'));
    // As nghttpx: HTTP/2 clients get content-type, server, content-length, date; HTTP/1.1
    // clients server, content-length, date, content-type, connection: close.
    const type: Field = ['content-type', 'text/html; charset=UTF-8'];
    const fields: Field[] = [
      ['server', o.serverName],
      ['content-length', String(body.length)],
      ['date', new Date().toUTCString()],
    ];
    if (req.alpn === 'http/1.1') fields.push(type, ['connection', 'close']);
    else fields.unshift(type);
    client.respond(code, fields, false);
    client.writable().end(body);
    req.body?.resume();
    record(code, body.length);
  }

  /** The Forwarded element for a request (`--add-forwarded`), or undefined. */
  private forwarded(req: ProxyRequest): string | undefined {
    const o = this.ctx.options;
    if (!this.forwardedParams.size) return undefined;
    let forName: string | undefined;
    if (this.forwardedParams.has('for')) {
      if (o.forwardedFor === 'ip') forName = forwardedNode(req.remoteAddress === 'localhost' ? undefined : req.remoteAddress);
      else {
        const key = req.connection ?? req;
        forName = this.forNames.get(key);
        if (!forName) this.forNames.set(key, (forName = obfuscatedNode()));
      }
    }
    const by =
      o.forwardedBy === 'ip' ? forwardedNode(req.localAddress, req.localAddress === undefined ? undefined : req.serverPort) : this.byName;
    return forwardedElement(this.forwardedParams, { by, for: forName, host: req.authority, proto: req.scheme });
  }

  /** "When --http2-proxy is used, these headers [Server] will not be altered regardless of this option." */
  /**
   * The frontend list of a backend response that adds nothing (most do: no object made for the
   * additions). A backend head that repeats is one object (a server's heads differ in Date once a
   * second; backend-http1.ts): its frontend list is the one made last time (never changed once
   * made: clients copy it into their own).
   */
  private plainHead(fields: Field[], proto: BackendAddress['proto'], ro: NghttpxOptions, framing: Field[]): Field[] {
    const m = this.lastHead;
    if (fields !== m.fields || proto !== m.proto || ro !== m.options || framing !== m.framing) {
      m.fields = fields;
      m.proto = proto;
      m.options = ro;
      m.framing = framing;
      m.out = frontendResponseFields(fields, proto, ro, framing, NOTHING_ADDED);
    }
    return m.out!;
  }

  private responseOptions(): NghttpxOptions {
    const o = this.ctx.options;
    return o.http2Proxy && !o.noServerRewrite ? { ...o, noServerRewrite: true } : o;
  }

  /**
   * CONNECT: ask the backend (the next proxy) for a tunnel to `req.authority`; on 2xx, bytes flow
   * both ways until either side ends; any other answer is relayed as a response.
   */
  private tunnel(req: ProxyRequest, client: ClientSide, be: Backend, record: (status: number, bytes: number) => void): void {
    const { log } = this.ctx;
    const bx = be.connect({ ...req, fields: backendRequestFields(req, this.ctx.options) });
    let clientGone = false;
    let bytes = 0;
    client.onClientGone(() => {
      clientGone = true;
      bx.abort();
      record(200, bytes);
    });
    bx.response.then(
      (res) => {
        if (clientGone) {
          res.readable.destroy();
          return;
        }
        const fields = frontendResponseFields(res.fields, be.address.proto, this.responseOptions()).filter(([n]) => n !== 'content-length');
        const t = res.writable && client.tunnel ? client.tunnel() : undefined;
        if (!t || !res.writable) {
          client.respond(res.status, fields, false);
          const w = client.writable();
          res.readable.on('data', (c: Buffer) => (bytes += c.length));
          res.readable.pipe(w);
          w.once('finish', () => record(res.status, bytes));
          return;
        }
        client.respond(res.status, fields, false);
        res.readable.on('data', (c: Buffer) => (bytes += c.length));
        res.readable.on('error', () => client.abort());
        t.readable.on('error', () => res.readable.destroy());
        res.readable.pipe(t.writable);
        t.readable.pipe(res.writable);
        t.writable.once('finish', () => record(res.status, bytes));
      },
      (err: Error) => {
        if (clientGone) return;
        log('WARN', 'forwarding.ts', `CONNECT ${req.authority} through ${be.label} failed: ${err.message}`);
        try {
          this.generated(req, client, 502, record);
        } catch {
          client.abort();
        }
      },
    );
  }

  /**
   * `healthmon` and `api` frontends answer themselves: "Any requests which come through this
   * address are replied with 200 HTTP status, without no body"; the API reads the whole body
   * (up to --api-max-request-body) and answers JSON.
   */
  private endpoint(req: ProxyRequest, client: ClientSide, kind: 'healthmon' | 'api'): void {
    const o = this.ctx.options;
    const start = Date.now();
    const answer = (status: number, extra: Field[], body: Buffer, close: boolean) => {
      const fields: Field[] = [...extra, ['content-length', String(body.length)]];
      if (close && req.alpn === 'http/1.1') fields.push(['connection', 'close']);
      fields.push(['server', o.serverName]);
      client.respond(status, fields, body.length === 0);
      if (body.length) client.writable().end(body);
      this.ctx.access(this.accessRecord(req, start, status, body.length, undefined));
    };
    if (kind === 'healthmon') {
      req.body?.resume();
      return answer(200, [], Buffer.alloc(0), false);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const api = this.ctx.api;
    const finish = () => {
      if (!api) return answer(404, [], Buffer.from('{"status":"Failure","code":404}'), false);
      const r = handleApiRequest(api, req.method, req.path, size > o.apiMaxRequestBody ? Buffer.alloc(size) : Buffer.concat(chunks));
      answer(r.status, r.fields, Buffer.from(r.body), r.close);
    };
    if (!req.body) return finish();
    req.body.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= o.apiMaxRequestBody) chunks.push(c);
    });
    req.body.once('end', finish);
    req.body.once('error', () => client.abort());
  }

  /**
   * Relay a backend's response to the client: the head rewritten for the frontend (Location,
   * Server, Via, framing, `x-http2-push` on a pushed stream), then the body with backpressure and
   * its trailers. `finish(status, bytes)` runs once, when the body is sent or either side failed.
   */
  private relay(
    req: ProxyRequest,
    client: ClientSide,
    res: BackendResponse,
    be: Backend,
    authority: string | undefined,
    setCookie: string | undefined,
    finish: (status: number, bytes: number) => void,
  ): void {
    const o = this.ctx.options;
    const status = res.status;
    let bytes = 0;
    const noBody = req.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
    // An HTTP/1.1 client gets a body of unknown length chunked; saying so here puts the
    // field where nghttpx puts it (Node would append it last).
    const chunked = req.protocol === 'http/1.1' && req.alpn === 'http/1.1' && !noBody && !hasField(res.fields, 'content-length');
    let fields = res.fields;
    if (!o.noLocationRewrite && !o.http2Proxy && req.authority && hasField(fields, 'location')) {
      // The host the backend saw: the request's authority, or the backend's own under --host-rewrite.
      const match = authority ?? '';
      fields = fields.map((f) => (f[0] === 'location' ? [f[0], rewriteLocation(f[1], match, req.authority!, req.scheme)] : f));
    }
    const h1 = req.alpn === 'http/1.1';
    const altSvc = h1 ? this.altSvcH1 : this.altSvcH2;
    const proto = be.address.proto;
    const ro = this.responseOptions();
    const framing = chunked ? CHUNKED_FRAMING : NO_FRAMING;
    let head =
      setCookie !== undefined || altSvc !== undefined
        ? frontendResponseFields(fields, proto, ro, framing, { setCookie, altSvc, http1: h1 })
        : this.plainHead(fields, proto, ro, framing);
    // "This header field is basically for human on client side to figure out that the resource is pushed."
    if (req.pushed) head = [...head, ['x-http2-push', '1']];
    const trailers = () => {
      // An HTTP/1.1 client's trailer section leaves out what nghttpx leaves out there (http1-client.ts).
      const t = h1 ? res.trailers() : res.trailers()?.filter(([n]) => !CONNECTION_SPECIFIC.includes(n));
      return t && this.trailersWithinLimits(t, res, be, client);
    };
    if (res.source && client.relay) {
      // The fast path: the backend's body straight onto the client's stream, no Node streams.
      client.respond(status, head, false);
      client.relay(res.source, trailers, (n, complete) => {
        // A body cut short: the client must not take a truncated body as whole.
        if (!complete) client.abort();
        finish(status, n);
      });
      return;
    }
    // An error on the backend body must have a listener: an HTTP/1.1 backend's body is Node's
    // IncomingMessage, whose unheard 'error' throws (an HTTP/2 backend's emits to listeners only).
    res.body.on('error', () => undefined);
    client.respond(status, head, noBody && res.body.readableEnded);
    const w = client.writable(trailers);
    res.body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    res.body.pipe(w);
    const done = () => finish(status, bytes);
    w.once('finish', done);
    w.once('error', () => {
      res.body.destroy();
      done();
    });
    res.body.once('error', () => {
      // The backend failed mid-body: the client must not take a truncated body as whole.
      client.abort();
      done();
    });
  }

  /**
   * An h2 backend promised `headers` on `parent`'s backend stream: promise the same to the client
   * (where it takes pushes) and relay the pushed response; otherwise cancel the backend's stream.
   */
  private relayPush(parent: ProxyRequest, client: ClientSide, be: Backend, headers: Field[], pushed: BackendExchange): void {
    const pc = canPush(this.ctx.options, parent) ? client.push?.(headers) : undefined;
    if (!pc) return pushed.abort();
    const req = pushedRequest(parent, headers);
    const start = Date.now();
    let finished = false;
    const record = (status: number, bytes: number) => {
      if (finished) return;
      finished = true;
      this.ctx.access(this.accessRecord(req, start, status, bytes, be));
    };
    pc.onClientGone(() => {
      if (!finished) pushed.abort();
    });
    pushed.response.then(
      (res) => this.relay(req, pc, res, be, req.authority, undefined, record),
      () => pc.abort(),
    );
  }

  /**
   * --response-header-field-buffer / --max-response-header-fields over a response's trailers, as
   * nghttpx 1.52 (header-limits.ts): an HTTP/2 backend's trailer fields past the head's budget are
   * dropped; an HTTP/1.1 backend's head and trailers past a limit fail the response.
   */
  private trailersWithinLimits(trailers: Field[], res: BackendResponse, be: Backend, client: ClientSide): Field[] | undefined {
    const o = this.ctx.options;
    if (be.address.proto === 'h2') {
      let head = headLoad(res.fields, 1, 10);
      if (!res.fields.some(([n]) => n === 'content-length'))
        head = { count: head.count + CHUNKED_LOAD.count, bytes: head.bytes + CHUNKED_LOAD.bytes };
      return trailersWithin(trailers, head, o.responseHeaderFieldBuffer, o.maxResponseHeaderFields);
    }
    const head = headLoad(res.fields);
    const load = headLoad(trailers, head.count, head.bytes);
    if (!overLimit(load, o.responseHeaderFieldBuffer, o.maxResponseHeaderFields)) return trailers;
    this.ctx.log('WARN', 'forwarding.ts', `Backend response trailer fields too large or too many; addr=${be.label}`);
    client.abort(ErrorCode.INTERNAL_ERROR);
    return undefined;
  }

  /** The access log record of a forwarded request. */
  private accessRecord(req: ProxyRequest, start: number, status: number, bytes: number, backend: Backend | undefined): AccessRecord {
    return {
      remoteAddress: req.remoteAddress,
      remotePort: req.remotePort,
      serverPort: req.serverPort,
      start,
      end: Date.now(),
      method: req.method,
      path: req.method === 'CONNECT' ? (req.authority ?? '') : req.path,
      protocolVersion: versionString(req.protocol),
      status,
      bodyBytesSent: bytes,
      requestFields: req.fields,
      alpn: req.alpn,
      tls: req.tlsSocket ? tlsLogInfo(req.tlsSocket) : undefined,
      backendHost: backend?.address.unixPath !== undefined ? backend?.address.unixPath : backend?.address.host,
      backendPort: backend?.address.port,
      pid: process.pid,
    };
  }

  /** Forward one request and relay the answer. Never throws for a peer's behaviour. */
  forward(req: ProxyRequest, client: ClientSide): void {
    const { options: o, log } = this.ctx;
    const fe = o.frontends[req.frontendIndex];
    if (fe?.healthmon) return this.endpoint(req, client, 'healthmon');
    if (fe?.api) return this.endpoint(req, client, 'api');
    // sni-fwd: "SNI host name received from the client is used instead of the request host".
    if (fe?.sniFwd && req.tlsSocket) {
      const sni = (req.tlsSocket as { servername?: string | false }).servername;
      // A name no frontend certificate serves is not kept: the route is chosen with no host at all.
      req.routingHost = sni && this.sniRoutable?.(sni) ? sni : '';
    }
    const groups = this.ctx.groups;
    // The clock is read only for the access log.
    const start = this.ctx.logsAccess === false ? 0 : Date.now();
    // The request's state; its access record is written once, by x.record (a function of it,
    // x.recorder(), is made only on the paths that hand one on).
    const x = new Forwarding(this, this.ctx, req, client, start);
    // --request-header-field-buffer / --max-request-header-fields: a head over either gets 431.
    if (req.head && overLimit(req.head, o.requestHeaderFieldBuffer, o.maxRequestHeaderFields))
      return this.generated(req, client, 431, x.recorder());
    // The same limits over the request's trailers, counted on top of the head: fields past either
    // are dropped one by one (as nghttpx 1.52 does).
    if (req.body && req.trailers && req.head) {
      const all = req.trailers;
      const head = req.head;
      req.trailers = () => {
        const t = all();
        return t && trailersWithin(t, head, o.requestHeaderFieldBuffer, o.maxRequestHeaderFields);
      };
    }
    // -s: "Like default mode, but enable forward proxy": a request must name its origin
    // (absolute form over HTTP/1.1, :authority over HTTP/2), as the reference answers 400 otherwise.
    if (o.http2Proxy && req.method !== 'CONNECT' && req.protocol !== 'h2' && !req.absoluteForm)
      return this.generated(req, client, 400, x.recorder());
    // --require-http-scheme: "https scheme must be used for an encrypted connection. Otherwise, http scheme must be used."
    if (o.requireHttpScheme && req.scheme !== (req.tls ? 'https' : 'http')) return this.generated(req, client, 400, x.recorder());
    const group = groups.route(req);
    if (!group) return this.generated(req, client, 404, x.recorder());
    if (group.redirectIfNotTls && !req.tls) {
      // 308 with the https URI, no body (as nghttpx 1.52).
      const fields: Field[] = [['location', httpsRedirect(req.authority, req.path, o.redirectHttpsPort)]];
      if (req.alpn === 'http/1.1') fields.push(['connection', 'close']);
      fields.push(['server', o.serverName]);
      client.respond(308, fields, true);
      req.body?.resume();
      return x.record(308, 0);
    }
    if (group.dnf) {
      // "an incoming request is not forwarded to a backend and just consumed along with the
      // request body": the answer would come from mruby, which this nghttpx does not run, so as
      // the reference without a script the request waits for the client or a timeout.
      req.body?.resume();
      return;
    }
    // WebSockets (an HTTP/1.1 Upgrade or an RFC 8441 extended CONNECT): tunnels.ts; plain
    // CONNECT: a tunnel the backend agrees to (tunnel() below).
    if (isUpgradeRequest(req)) {
      const c = groups.select(req, group);
      if (!c) return this.generated(req, client, 502, x.recorder());
      x.backend = c.backend;
      const generated = (code: number) => this.generated(req, client, code, x.recorder());
      openTunnel(req, client, c.backend, { options: o, warn: (m) => log('WARN', 'tunnels.ts', m), generated }, x.recorder()).catch(
        (err: Error) => {
          log('INFO', 'tunnels.ts', `tunnel ${req.method} ${req.path} dropped: ${err.message}`);
          client.abort();
        },
      );
      return;
    }
    if (req.method === 'CONNECT') {
      const c = groups.select(req, group);
      if (!c) return this.generated(req, client, 502, x.recorder());
      x.backend = c.backend;
      return this.tunnel(req, client, c.backend, x.recorder());
    }
    const first = groups.select(req, group);
    if (!first) return this.generated(req, client, 502, x.recorder());
    x.group = group;
    x.forwardedValue = this.forwarded(req);
    client.onClientGone(() => x.clientLeft());
    x.attempt(first);
  }

  /** @internal {@link Forwarding}: relay a backend's answer (see relay()). */
  relayAnswer(x: Forwarding, res: BackendResponse, be: Backend, authority: string | undefined, setCookie: string | undefined): void {
    this.relay(x.req, x.client, res, be, authority, setCookie, (st, n) => x.relayed(st, n));
  }

  /** @internal {@link Forwarding}: a pushed stream of an h2 backend on `x`'s request. */
  backendPushed(x: Forwarding, be: Backend, headers: Field[], pushed: BackendExchange): void {
    this.relayPush(x.req, x.client, be, headers, pushed);
  }

  /** @internal {@link Forwarding}: the access log record of `x`, if there is an access log. */
  logAccess(x: Forwarding, status: number, bytes: number): void {
    if (this.ctx.logsAccess !== false) this.ctx.access(this.accessRecord(x.req, x.start, status, bytes, x.backend));
  }
}

/**
 * One request on its way to a backend and back (the plain path of {@link Forwarder.forward}): its
 * state and steps as one object and its methods, where closures made per request cost a context
 * and a function each (ten per request before), and the answer comes through
 * {@link BackendExchange.listen} where the backend has it.
 */
class Forwarding implements ExchangeListener {
  /** The backend chosen last. */
  backend: Backend | undefined;
  /** Backends this request failed to connect to (made on the first failure). */
  private tried: Set<Backend> | undefined;
  private clientGone = false;
  private current: BackendExchange | undefined;
  private done = false;
  private recorded = false;
  /** What the current attempt needs once answered. */
  private chosen: Selection | undefined;
  private authority: string | undefined;

  /** The route's group (set once the request goes to a backend). */
  group: BackendGroup | undefined;
  /** The request's `--add-forwarded` element. */
  forwardedValue: string | undefined;

  constructor(
    private readonly fw: Forwarder,
    private readonly ctx: ForwardingContext,
    readonly req: ProxyRequest,
    readonly client: ClientSide,
    readonly start: number,
  ) {}

  /** `record` as a function, for the paths that hand it on. */
  recorder(): (status: number, bytes: number) => void {
    return (status, bytes) => this.record(status, bytes);
  }

  /** The access log's one record of this request. */
  record(status: number, bytes: number): void {
    if (this.recorded) return;
    this.recorded = true;
    this.fw.logAccess(this, status, bytes);
  }

  /** The client reset or hung up. */
  clientLeft(): void {
    this.clientGone = true;
    if (!this.done) this.current?.abort();
  }

  /** Send the request to `chosen`'s backend. */
  attempt(chosen: Selection): void {
    const o = this.ctx.options;
    const req = this.req;
    const be = chosen.backend;
    this.backend = be;
    this.chosen = chosen;
    // "When --http2-proxy is used, these headers [Host, :authority, Location] will not be altered."
    const authority = o.hostRewrite && !o.http2Proxy ? this.ctx.groups.hostports.get(be) : req.authority;
    this.authority = authority;
    // What the backend reads, in one fixed shape (a spread copy of the whole request cost a
    // CloneObjectIC and ~380 bytes per request). The backend of a forward proxy is the next proxy:
    // it gets the absolute form.
    const out: BackendRequest = {
      method: req.method,
      scheme: req.scheme,
      authority,
      path: req.path,
      fields: backendRequestFields(req, o, this.forwardedValue, be.address.proto),
      body: req.body,
      trailers: req.trailers,
      protocol: req.protocol,
      absoluteForm: req.absoluteForm,
      requestTarget: o.http2Proxy && be.address.proto === 'http/1.1' ? `${req.scheme}://${req.authority ?? ''}${req.path}` : undefined,
    };
    const bx = be.request(out);
    this.current = bx;
    if (bx.listen) return bx.listen(this);
    // An h2 backend's own pushes on this request, relayed to the client where it takes them.
    bx.onPush?.((headers, pushed) => this.pushed(headers, pushed));
    if (bx.onAnswer)
      bx.onAnswer(
        (res) => this.answered(res),
        (err) => this.failed(err),
      );
    else
      bx.response.then(
        (res) => this.answered(res),
        (err: BackendFailure) => this.failed(err),
      );
  }

  /** @internal ExchangeListener: the backend promised `headers` on this request. */
  pushed(headers: Field[], exchange: BackendExchange): void {
    this.fw.backendPushed(this, this.backend!, headers, exchange);
  }

  /** @internal ExchangeListener: the response head (handlers may run inside the backend's event dispatch: a throw drops the request only). */
  answered(res: BackendResponse): void {
    try {
      this.answer(res);
    } catch (err) {
      this.dropped(err as Error);
    }
  }

  /** @internal ExchangeListener: no response. */
  failed(err: BackendFailure): void {
    try {
      this.fail(err);
    } catch (e) {
      this.dropped(e as Error);
    }
  }

  /** The relay ended (`status` sent, `bytes` of body). */
  relayed(status: number, bytes: number): void {
    if (this.done) return;
    this.done = true;
    this.record(status, bytes);
  }

  private answer(res: BackendResponse): void {
    const { options: o, log, groups } = this.ctx;
    const be = this.backend!;
    const bx = this.current!;
    const req = this.req;
    const client = this.client;
    groups.connected(be);
    if (this.clientGone) {
      // The client reset or hung up while the backend was thinking: nobody to answer
      // (aborting closes the backend stream or socket, and with it the body).
      bx.abort();
      return;
    }
    // --response-header-field-buffer / --max-response-header-fields: a head over either is
    // dropped. As nghttpx 1.52: an HTTP/1.1 backend's gets the client a 502; an HTTP/2
    // backend's stream is reset and so is the client's request (RST_STREAM INTERNAL_ERROR,
    // an HTTP/1.1 client's connection closed with no answer). Its :status counts, as
    // nghttpx counts pseudo-headers.
    const h2 = be.address.proto === 'h2';
    if (overLimit(res.head ?? headLoad(res.fields, h2 ? 1 : 0, h2 ? 10 : 0), o.responseHeaderFieldBuffer, o.maxResponseHeaderFields)) {
      log('WARN', 'forwarding.ts', `Backend response header fields too large or too many; addr=${be.label}`);
      bx.abort();
      this.done = true;
      if (!h2) return this.fw.generated(req, client, 502, (st, n) => this.record(st, n));
      client.abort(ErrorCode.INTERNAL_ERROR);
      return this.record(502, 0);
    }
    // Link: rel=preload -> PUSH_PROMISEs ahead of the response, as the reference.
    if (client.push && canPush(o, req, res.status))
      for (const h of linkPushes(req, res.fields)) {
        const pc = client.push(h);
        if (pc) this.fw.forward(pushedRequest(req, h), pc);
      }
    // --accesslog-write-early: "Write access log when response header fields are received
    // from backend rather than when request transaction finishes" (no body bytes yet: 0).
    if (o.accesslogWriteEarly) this.record(res.status, 0);
    this.fw.relayAnswer(this, res, be, this.authority, this.chosen!.setCookie);
  }

  private fail(err: BackendFailure): void {
    const log = this.ctx.log;
    const groups = this.ctx.groups;
    const be = this.backend!;
    if (this.clientGone) {
      this.done = true;
      return;
    }
    if (err.phase === 'connect') {
      groups.connectFailed(be);
      log(
        'WARN',
        'forwarding.ts',
        `Backend connect failed; addr=${be.label}: errno=${err.errno !== undefined ? -err.errno : (err.code ?? err.message)}`,
      );
      // Nothing reached this backend: another one of the group gets the request.
      (this.tried ??= new Set()).add(be);
      const next = groups.select(this.req, this.group!, this.tried);
      if (next) return this.attempt(next);
    } else log('WARN', 'forwarding.ts', `Backend request failed; addr=${be.label}: ${err.message}`);
    this.done = true;
    // 504 for a timeout: reading the answer, or (as nghttpx 1.52, whose HTTP/1.1 backend connection
    // reports it as EVENT_TIMEOUT) connecting to an HTTP/1.1 backend that no other backend replaced;
    // an h2 backend's connect timeout is a failed session there, 502.
    const timedOut = err.phase === 'read' || (err.phase === 'connect' && err.code === 'ETIMEDOUT' && be.address.proto !== 'h2');
    try {
      this.fw.generated(this.req, this.client, timedOut ? 504 : 502, (st, n) => this.record(st, n));
    } catch {
      this.client.abort();
    }
  }

  /**
   * A frontend stream that closed under us (e.g. the client's RST_STREAM racing the backend's
   * answer): drop both sides of this request; the proxy goes on.
   */
  private dropped(err: Error): void {
    const req = this.req;
    this.ctx.log('INFO', 'forwarding.ts', `request ${req.method} ${req.path} dropped: ${err.message}`);
    this.current?.abort();
    this.client.abort();
  }
}
