/**
 * nghttpx's forwarding: one request from a frontend to its backend and the answer back, with the
 * header rewriting, generated error pages, backpressured bodies both ways and the access log
 * record. Frontends call {@link Forwarder.forward}; nothing here knows the frontend's protocol.
 */
import { tlsLogInfo } from './tls';
import type { Backend } from './backends';
import type { BackendGroups } from './groups';
import { backendRequestFields, errorPage, frontendResponseFields, REASONS } from './headers';
import type { AccessRecord } from './log';
import type { LogLevel, NghttpxOptions } from './options';
import { ClientSide, Field, ProxyRequest, versionString } from './request';

/** What forwarding needs from the proxy around it. */
export interface ForwardingContext {
  options: NghttpxOptions;
  groups: BackendGroups;
  log(level: LogLevel, where: string, msg: string): void;
  access(r: AccessRecord): void;
}

/** RFC 9110 section 6.5.1: trailer fields a proxy forwards are those of the message, not connection-specific ones. */
const CONNECTION_SPECIFIC = ['connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade'];

/** Forwards requests; one per running configuration. */
export class Forwarder {
  constructor(private readonly ctx: ForwardingContext) {}

  /** Answer a status nghttpx generates itself (404, 502...), with its error page. */
  generated(req: ProxyRequest, client: ClientSide, code: number, record: (status: number, bytes: number) => void): void {
    const o = this.ctx.options;
    const body = Buffer.from(errorPage(code, REASONS[code] ?? 'Error'));
    // As nghttpx: content-type, server, content-length, date; HTTP/1.1 clients get Connection: close.
    const fields: Field[] = [['content-type', 'text/html; charset=UTF-8'], ['server', o.serverName], ['content-length', String(body.length)], ['date', new Date().toUTCString()]];
    if (req.alpn === 'http/1.1') fields.push(['connection', 'close']);
    client.respond(code, fields, false);
    client.writable().end(body);
    req.body?.resume();
    record(code, body.length);
  }

  /** "When --http2-proxy is used, these headers [Server] will not be altered regardless of this option." */
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

  /** Forward one request and relay the answer. Never throws for a peer's behaviour. */
  forward(req: ProxyRequest, client: ClientSide): void {
    const { options: o, log } = this.ctx;
    const start = Date.now();
    let backend: Backend | undefined;
    let recorded = false;
    const record = (status: number, bytes: number) => {
      if (recorded) return;
      recorded = true;
      this.ctx.access({
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
      });
    };
    // -s: "Like default mode, but enable forward proxy": a request must name its origin
    // (absolute form over HTTP/1.1, :authority over HTTP/2), as the reference answers 400 otherwise.
    if (o.http2Proxy && req.method !== 'CONNECT' && req.protocol !== 'h2' && !req.absoluteForm) return this.generated(req, client, 400, record);
    const chosen = this.ctx.groups.select(req);
    if (!chosen) return this.generated(req, client, 404, record);
    backend = chosen.backend;
    const be = backend;
    if (req.method === 'CONNECT') return this.tunnel(req, client, be, record);
    const out: ProxyRequest = { ...req, fields: backendRequestFields(req, o) };
    // The backend of a forward proxy is the next proxy: it gets the absolute form.
    if (o.http2Proxy && be.address.proto === 'http/1.1') out.requestTarget = `${req.scheme}://${req.authority ?? ''}${req.path}`;
    const bx = be.request(out);
    let done = false;
    let clientGone = false;
    let status = 0;
    let bytes = 0;
    client.onClientGone(() => {
      clientGone = true;
      if (!done) bx.abort();
    });
    bx.response
      .then(
        (res) => {
          // Whatever happens below, an error on the backend body must have a listener.
          res.body.on('error', () => undefined);
          if (clientGone) {
            // The client reset or hung up while the backend was thinking: nobody to answer.
            res.body.destroy();
            bx.abort();
            return;
          }
          status = res.status;
          const noBody = req.method === 'HEAD' || res.status === 204 || res.status === 304 || (res.status >= 100 && res.status < 200);
          // An HTTP/1.1 client gets a body of unknown length chunked; saying so here puts the
          // field where nghttpx puts it (Node would append it last).
          const chunked = req.protocol === 'http/1.1' && req.alpn === 'http/1.1' && !noBody && !res.fields.some(([n]) => n === 'content-length');
          const fields = frontendResponseFields(res.fields, be.address.proto, this.responseOptions(), chunked ? [['transfer-encoding', 'chunked']] : []);
          client.respond(res.status, fields, noBody && res.body.readableEnded);
          const w = client.writable(() => res.trailers()?.filter(([n]) => !CONNECTION_SPECIFIC.includes(n)));
          res.body.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
          });
          res.body.pipe(w);
          const finish = () => {
            if (done) return;
            done = true;
            record(status, bytes);
          };
          w.once('finish', finish);
          w.once('error', () => {
            res.body.destroy();
            finish();
          });
          res.body.once('error', () => {
            // The backend failed mid-body: the client must not take a truncated body as whole.
            client.abort();
            finish();
          });
        },
        (err: Error & { code?: string; errno?: number }) => {
          done = true;
          if (clientGone) return;
          if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' || err.code === 'EHOSTUNREACH') {
            log('WARN', 'forwarding.ts', `Backend connect failed; addr=${be.label}: errno=${err.errno !== undefined ? -err.errno : err.code}`);
          } else log('WARN', 'forwarding.ts', `Backend request failed; addr=${be.label}: ${err.message}`);
          try {
            this.generated(req, client, 502, record);
          } catch {
            client.abort();
          }
        },
      )
      .catch((err: Error) => {
        // A frontend stream that closed under us (e.g. the client's RST_STREAM racing the
        // backend's answer): drop both sides of this request; the proxy goes on.
        log('INFO', 'forwarding.ts', `request ${req.method} ${req.path} dropped: ${err.message}`);
        bx.abort();
        client.abort();
      });
  }
}
