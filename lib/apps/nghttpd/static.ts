/**
 * nghttpd's static site: maps a request (:method, :path, if-modified-since) to the response the
 * reference nghttpd gives (200 file, 301 directory redirect, 304, 404 page) with its header
 * order, and keeps a small cache of open files. It never reads a large file whole: the caller
 * streams `FileEntry` contents with `readChunk` under flow control.
 */
import fs = require('fs');
import path = require('path');
import { zlib } from '../../lazy';
import type { HeaderField } from '../../protocol/frame/types';

/**
 * Files up to this size are kept in memory with their cache entry (one read, shared by all
 * requests), within MEMORY_CACHE_BYTES in total; anything else is read from its fd in chunks.
 */
export const SMALL_FILE_BYTES = 128 * 1024;
/** Budget for the in-memory copies of small files (past it, small files stream from the fd too). */
export const MEMORY_CACHE_BYTES = 32 * 1024 * 1024;
/** How long a cached stat/open result is trusted before the file is looked at again. */
export const REVALIDATE_MS = 1000;
/** At most this many open files stay cached (an LRU bound on fds and memory). */
export const MAX_CACHED_FILES = 256;

/** Parse the mime.types format (`type ext ext...`, `#` comments); the first mapping of an extension wins, as in nghttpd. */
export function parseMimeTypes(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [type, ...exts] = line.split(/\s+/);
    for (const ext of exts) if (!map.has(ext)) map.set(ext, type);
  }
  return map;
}

/** Read a mime.types file; a missing default file gives an empty map (no content-type), as nghttpd. */
export function loadMimeTypes(file: string, mustExist: boolean): Map<string, string> {
  try {
    return parseMimeTypes(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    if (mustExist) throw e;
    return new Map();
  }
}

/** Content type by the extension after the last '.' of the last path segment; undefined without one. */
export function contentTypeFor(file: string, mime: Map<string, string>): string | undefined {
  const slash = file.lastIndexOf('/');
  const dot = file.lastIndexOf('.');
  if (dot <= slash) return undefined;
  return mime.get(file.slice(dot + 1));
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Percent-decode to bytes; a '%' not followed by two hex digits stays as it is (as nghttpd's util::percent_decode). */
export function percentDecode(s: string): Buffer {
  const src = Buffer.from(s, 'latin1');
  if (!src.includes(0x25)) return src;
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === 0x25 && i + 2 < src.length) {
      const h = hexVal(src[i + 1]);
      const l = hexVal(src[i + 2]);
      if (h >= 0 && l >= 0) {
        out[o++] = (h << 4) | l;
        i += 2;
        continue;
      }
    }
    out[o++] = c;
  }
  return out.subarray(0, o);
}

const PLAIN_ASCII = /^[\x20-\x24\x26-\x7e]*$/;

/** A request path split and decoded; `file` is relative to htdocs and starts with '/'. */
export interface DecodedPath {
  /** The path part as sent (still percent-encoded), used in `location`. */
  rawPath: string;
  /** `?query` as sent, or ''. */
  query: string;
  /** Decoded path, with `index.html` appended when it ends in '/'. */
  file: string;
}

/**
 * Split `:path` at '?', percent-decode it and refuse anything that could leave the document
 * root: not starting with '/', a NUL, a backslash, or a '.'/'..' segment (encoded or not:
 * decoding comes first, so `%2e%2e`, `%2f..` and friends are caught). Returns null = 404.
 */
export function decodeRequestPath(reqPath: string): DecodedPath | null {
  if (!reqPath.startsWith('/')) return null;
  let end = reqPath.length;
  const q = reqPath.indexOf('?');
  if (q >= 0) end = q;
  const h = reqPath.indexOf('#');
  if (h >= 0 && h < end) end = h;
  const rawPath = reqPath.slice(0, end);
  const query = q >= 0 ? reqPath.slice(q, h > q ? h : undefined) : '';
  let decoded: string;
  if (PLAIN_ASCII.test(rawPath)) {
    decoded = rawPath; // nothing to decode (no '%', no control or 8-bit octets)
  } else {
    const bytes = percentDecode(rawPath);
    if (bytes.includes(0)) return null;
    decoded = bytes.toString('utf8');
    if (decoded.includes('\uFFFD') && !bytes.includes(Buffer.from('\uFFFD'))) return null; // not UTF-8
  }
  if (!decoded.startsWith('/') || decoded.includes('\\')) return null;
  // nghttpd's util::check_path: no "/../" or "/./" inside, no "/.." or "/." at the end.
  if (decoded.includes('/../') || decoded.includes('/./') || decoded.endsWith('/..') || decoded.endsWith('/.')) return null;
  const file = decoded.endsWith('/') ? decoded + 'index.html' : decoded;
  return { rawPath, query, file };
}

/** One open file, shared by the requests that serve it. */
export interface FileEntry {
  /** Real path on disk (inside htdocs). */
  realPath: string;
  fd: number;
  size: number;
  /** `size` as the content-length value. */
  sizeText: string;
  mtimeMs: number;
  /** `last-modified` value. */
  lastModified: string;
  contentType?: string;
  /** The whole content when size <= SMALL_FILE_BYTES. */
  small?: Buffer;
  /** Requests currently streaming it. */
  refs: number;
  checkedAt: number;
  /** Evicted from the cache: close the fd when refs reach 0. */
  stale: boolean;
  /**
   * The GET 200 response (headers included), reused while its `date` value, `headers200Date`, is
   * the same: the hot path allocates none. Shared: read-only.
   */
  response200?: SiteResponse;
  headers200Date?: string;
}

/** Read up to `length` bytes at `position` from an entry (the small-file buffer or the fd). */
export function readChunk(entry: FileEntry, position: number, length: number): Promise<Buffer> {
  const n = Math.max(0, Math.min(length, entry.size - position));
  if (entry.small) return Promise.resolve(entry.small.subarray(position, position + n));
  if (n === 0) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const buf = Buffer.allocUnsafe(n);
    fs.read(entry.fd, buf, 0, n, position, (err, got) => (err ? reject(err) : resolve(got === n ? buf : buf.subarray(0, got))));
  });
}

let dateSecond = -1;
let dateText = '';
/** The `date` header value, formatted once per second. */
export function httpDate(now = Date.now()): string {
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateText = new Date(s * 1000).toUTCString();
  }
  return dateText;
}

/** What the site needs to know. */
export interface SiteConfig {
  htdocs: string;
  mimeTypes: Map<string, string>;
  /** `server` header value and the name on the 404 page. */
  serverName: string;
  /** Shown on the error page ("at port N"). */
  port: number;
  /** -e: gzip error pages for clients that accept gzip. */
  errorGzip?: boolean;
  /** --no-content-length. */
  noContentLength?: boolean;
  /** --trailer names: a `trailer` header is announced on responses with a body. */
  trailerNames?: string[];
  /** Trust a cached stat/open for this long (default REVALIDATE_MS). */
  revalidateMs?: number;
}

/** The request fields the site looks at. */
export interface SiteRequest {
  method: string;
  path: string;
  scheme: string;
  authority: string;
  ifModifiedSince?: string;
  acceptEncoding?: string;
}

/** A response: headers in the reference's order, and the body to send (none for HEAD/301/304). */
export interface SiteResponse {
  status: number;
  /** The response header list; may be shared with other responses (treat as read-only). */
  headers: HeaderField[];
  /** In-memory body (error pages). */
  body?: Buffer;
  /** File body: stream `length` bytes from `file`, then call `site.release(file)`. */
  file?: FileEntry;
}

/** The 404 page of the reference, naming our server. */
export function errorPageHtml(status: number, reason: string, serverName: string, port: number): string {
  return `<html><head><title>${status} ${reason}</title></head><body><h1>${status} ${reason}</h1><hr><address>${serverName} at port ${port}</address></body></html>`;
}

/** The static site over one document root, with its file cache. */
export class StaticSite {
  private readonly cache = new Map<string, FileEntry>();
  private readonly rootReal: string;
  private readonly pages = new Map<string, Buffer>();
  private memBytes = 0;
  /** Decoded request paths (the hot path decodes each distinct :path once). */
  private readonly decoded = new Map<string, DecodedPath | null>();
  private readonly inflight = new Map<string, Promise<FileEntry | 'dir' | null>>();

  constructor(readonly config: SiteConfig) {
    this.rootReal = fs.realpathSync(config.htdocs);
  }

  /** Response headers shared by every answer: `:status`, `server`, then what the caller adds. */
  private base(status: number): HeaderField[] {
    return [
      [':status', String(status)],
      ['server', this.config.serverName],
    ];
  }

  /** The error page response for `status` (404; also used for 400/405/500 by the engine). */
  errorResponse(status: number, req?: Pick<SiteRequest, 'method' | 'acceptEncoding'>): SiteResponse {
    const reason = STATUS_REASON[status] ?? 'Error';
    const gzip = !!this.config.errorGzip && acceptsGzip(req?.acceptEncoding);
    const key = `${status}:${gzip}`;
    let body = this.pages.get(key);
    if (!body) {
      const html = Buffer.from(errorPageHtml(status, reason, this.config.serverName, this.config.port));
      body = gzip ? zlib().gzipSync(html) : html;
      this.pages.set(key, body);
    }
    // As the reference: `trailer` right after `date`, and content-length even with --no-content-length.
    const headers = this.base(status);
    headers.push(['date', httpDate()]);
    this.addTrailerHeader(headers);
    headers.push(['content-type', 'text/html; charset=UTF-8']);
    if (gzip) headers.push(['content-encoding', 'gzip']);
    headers.push(['content-length', String(body.length)]);
    return req?.method === 'HEAD' ? { status, headers } : { status, headers, body };
  }

  /** `--echo-upload` response headers for a body of `length` bytes. */
  echoHeaders(length: number): HeaderField[] {
    const headers = this.base(200);
    headers.push(['date', httpDate()]);
    this.addTrailerHeader(headers);
    headers.push(['nghttpd-response', 'echo']);
    if (!this.config.noContentLength) headers.push(['content-length', String(length)]);
    return headers;
  }

  /**
   * `trailer: <names>` on every response that has a body source (file, error page, echo), even an
   * empty one, and on HEAD answers for files, as the reference does; never on 301/304.
   */
  private addTrailerHeader(headers: HeaderField[]): void {
    const names = this.config.trailerNames;
    if (names && names.length > 0) headers.push(['trailer', names.join(', ')]);
  }

  /**
   * The answer when it needs no I/O (a bad path, or a fresh cache entry), else undefined: the
   * hot path answers synchronously, so every response to one socket read leaves in one write.
   */
  resolveCached(req: SiteRequest): SiteResponse | undefined {
    let dp = this.decoded.get(req.path);
    if (dp === undefined) {
      dp = decodeRequestPath(req.path);
      // Bounded (4096 paths of at most 512 octets): a path scanner cannot grow it.
      if (req.path.length <= 512) {
        if (this.decoded.size >= 4096) this.decoded.clear();
        this.decoded.set(req.path, dp);
      }
    }
    if (!dp) return this.errorResponse(404, req);
    const hit = this.cache.get(dp.file);
    if (hit === undefined) return undefined;
    const now = Date.now();
    return now - hit.checkedAt < (this.config.revalidateMs ?? REVALIDATE_MS) ? this.answer(req, dp, hit, now) : undefined;
  }

  /** Decide the answer to a request. Never throws for bad paths: they are 404s. */
  async resolve(req: SiteRequest): Promise<SiteResponse> {
    const dp = decodeRequestPath(req.path);
    if (!dp) return this.errorResponse(404, req);
    let entry: FileEntry | 'dir' | null;
    try {
      entry = await this.lookupShared(dp.file);
    } catch {
      entry = null;
    }
    return this.answer(req, dp, entry);
  }

  private answer(req: SiteRequest, dp: DecodedPath, entry: FileEntry | 'dir' | null, now = Date.now()): SiteResponse {
    if (entry === null) return this.errorResponse(404, req);
    if (entry === 'dir') {
      const headers = this.base(301);
      headers.push(['date', httpDate()], ['location', `${req.scheme}://${req.authority}${dp.rawPath}/${dp.query}`]);
      return { status: 301, headers };
    }
    if (req.ifModifiedSince !== undefined) {
      const since = Date.parse(req.ifModifiedSince);
      if (!Number.isNaN(since) && Math.floor(entry.mtimeMs / 1000) * 1000 <= since) {
        const headers = this.base(304);
        headers.push(['date', httpDate()]);
        return { status: 304, headers };
      }
    }
    const date = httpDate(now);
    const head = req.method === 'HEAD';
    if (!head && entry.response200 !== undefined && entry.headers200Date === date) {
      entry.refs++;
      return entry.response200;
    }
    const headers = this.base(200);
    headers.push(['cache-control', 'max-age=3600'], ['date', date]);
    if (!this.config.noContentLength) headers.push(['content-length', entry.sizeText]);
    headers.push(['last-modified', entry.lastModified]);
    if (entry.contentType !== undefined) headers.push(['content-type', entry.contentType]);
    this.addTrailerHeader(headers);
    if (head) return { status: 200, headers };
    const response: SiteResponse = { status: 200, headers, file: entry };
    entry.response200 = response;
    entry.headers200Date = date;
    entry.refs++;
    return response;
  }

  /** The caller finished streaming `entry`. */
  release(entry: FileEntry): void {
    entry.refs--;
    if (entry.refs <= 0 && entry.stale) closeEntry(entry);
  }

  /** Close every cached fd (server shutdown). */
  close(): void {
    this.memBytes = 0;
    for (const e of this.cache.values()) {
      e.stale = true;
      if (e.refs <= 0) closeEntry(e);
    }
    this.cache.clear();
  }

  /** One lookup per file at a time: a burst of requests for a cold (or expiring) entry shares it. */
  private lookupShared(file: string): Promise<FileEntry | 'dir' | null> {
    let p = this.inflight.get(file);
    if (!p) {
      p = this.lookup(file);
      this.inflight.set(file, p);
      const done = () => {
        this.inflight.delete(file);
      };
      p.then(done, done);
    }
    return p;
  }

  /** Cached file lookup: null when missing or not servable, 'dir' for a directory. */
  private async lookup(file: string): Promise<FileEntry | 'dir' | null> {
    const now = Date.now();
    const hit = this.cache.get(file);
    if (hit && now - hit.checkedAt < (this.config.revalidateMs ?? REVALIDATE_MS)) {
      this.cache.delete(file); // LRU: move to the end
      this.cache.set(file, hit);
      return hit;
    }
    const full = path.join(this.rootReal, file);
    let real: string;
    try {
      real = await fs.promises.realpath(full);
    } catch {
      if (hit) this.evict(file, hit);
      return null;
    }
    // A symlink inside htdocs must not lead outside it.
    if (real !== this.rootReal && !real.startsWith(this.rootReal + path.sep)) {
      if (hit) this.evict(file, hit);
      return null;
    }
    const st = await fs.promises.stat(real);
    if (st.isDirectory()) {
      if (hit) this.evict(file, hit);
      return 'dir';
    }
    if (!st.isFile()) {
      if (hit) this.evict(file, hit);
      return null;
    }
    if (hit && hit.realPath === real && hit.mtimeMs === st.mtimeMs && hit.size === st.size) {
      hit.checkedAt = now;
      return hit;
    }
    if (hit) this.evict(file, hit);
    // O_NONBLOCK so that a FIFO swapped in after the stat cannot block the open; fstat re-checks.
    const fd = await openAsync(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    let entry: FileEntry;
    try {
      const fst = await fstatAsync(fd);
      if (!fst.isFile()) {
        fs.close(fd, () => undefined);
        return fst.isDirectory() ? 'dir' : null;
      }
      entry = {
        realPath: real,
        fd,
        size: fst.size,
        sizeText: String(fst.size),
        mtimeMs: fst.mtimeMs,
        lastModified: new Date(Math.floor(fst.mtimeMs / 1000) * 1000).toUTCString(),
        contentType: contentTypeFor(file, this.config.mimeTypes),
        refs: 0,
        checkedAt: now,
        stale: false,
      };
      if (fst.size <= SMALL_FILE_BYTES && this.memBytes + fst.size <= MEMORY_CACHE_BYTES) {
        const buf = Buffer.allocUnsafe(fst.size);
        let got = 0;
        while (got < fst.size) {
          const n = await readAsync(fd, buf, got, fst.size - got, got);
          if (n === 0) break;
          got += n;
        }
        entry.small = buf.subarray(0, got);
        entry.size = got;
        entry.sizeText = String(got);
        this.memBytes += got;
      }
    } catch (e) {
      fs.close(fd, () => undefined);
      throw e;
    }
    this.cache.set(file, entry);
    if (this.cache.size > MAX_CACHED_FILES) {
      const [oldKey, old] = this.cache.entries().next().value as [string, FileEntry];
      this.evict(oldKey, old);
    }
    return entry;
  }

  private evict(key: string, e: FileEntry): void {
    if (this.cache.get(key) === e) this.cache.delete(key);
    if (e.small && !e.stale) this.memBytes -= e.small.length;
    e.stale = true;
    if (e.refs <= 0) closeEntry(e);
  }
}

function closeEntry(e: FileEntry): void {
  if (e.fd >= 0) {
    const fd = e.fd;
    e.fd = -1;
    fs.close(fd, () => undefined);
  }
}

function openAsync(p: string, flags: number): Promise<number> {
  return new Promise((res, rej) => fs.open(p, flags, (err, fd) => (err ? rej(err) : res(fd))));
}
function fstatAsync(fd: number): Promise<fs.Stats> {
  return new Promise((res, rej) => fs.fstat(fd, (err, st) => (err ? rej(err) : res(st))));
}
function readAsync(fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> {
  return new Promise((res, rej) => fs.read(fd, buf, off, len, pos, (err, n) => (err ? rej(err) : res(n))));
}

/** Whether an accept-encoding value allows gzip (q=0 refuses). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  for (const part of acceptEncoding.split(',')) {
    const [coding, ...params] = part.trim().split(';');
    const c = coding.trim().toLowerCase();
    if (c !== 'gzip' && c !== 'x-gzip' && c !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    return true;
  }
  return false;
}

/** Reason phrases for the error pages we produce. */
export const STATUS_REASON: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};
