/**
 * Sending a static answer on a stream: headers, then the body (in-memory page, cached small file, or
 * fd chunks each sent once the stream's queue has drained), then the --trailer fields.
 */
import type { Http2Stream } from '../../transport/stream';
import type { HeaderField } from '../../protocol/frame/types';
import { ErrorCode } from '../../protocol/errors';
import { FileEntry, readChunk, SiteResponse, StaticSite } from './static';

/** Bytes read from a file per DATA write; the stream's queue bound keeps at most ~2 of these in flight. */
export const FILE_CHUNK = 64 * 1024;

/** Reset a stream with INTERNAL_ERROR unless it (or its connection) is already gone. */
export function safeReset(stream: Http2Stream): void {
  try {
    if (!stream.closed) stream.reset(ErrorCode.INTERNAL_ERROR);
  } catch {
    // The connection ended under us: nothing left to tell the peer.
  }
}

/** Send a SiteResponse on a stream: headers, then the body under flow control, then trailers. */
export function sendResponse(stream: Http2Stream, r: SiteResponse, site: StaticSite, trailers: HeaderField[]): void {
  if (stream.closed) {
    if (r.file) site.release(r.file);
    return;
  }
  try {
    if (!r.file && !r.body) {
      stream.respond(r.headers, { endStream: true });
      return;
    }
    stream.respond(r.headers);
    // The reference sends the trailers after any body source, even an empty one.
    const tr = trailers.length > 0 ? trailers : undefined;
    if (r.body) {
      if (tr) {
        if (r.body.length) stream.sendData(r.body, false);
        stream.end(tr);
      } else {
        stream.sendData(r.body, true);
      }
      return;
    }
    const file = r.file!;
    if (file.small) {
      // A cached small file goes out right here: no async function (and its promise) per request.
      try {
        if (tr) {
          if (file.small.length) stream.sendData(file.small, false);
          stream.end(tr);
        } else {
          stream.sendData(file.small, true);
        }
      } catch {
        safeReset(stream);
      } finally {
        site.release(file);
      }
      return;
    }
    void streamFile(stream, file, site, tr);
  } catch {
    if (r.file) site.release(r.file);
    safeReset(stream);
  }
}

/** Stream a file entry (then trailers, if any) and release it; resets the stream on a read error. */
export async function streamFile(stream: Http2Stream, file: FileEntry, site: StaticSite, tr: HeaderField[] | undefined): Promise<void> {
  try {
    if (file.small) {
      if (tr) {
        if (file.small.length) stream.sendData(file.small, false);
        stream.end(tr);
      } else {
        stream.sendData(file.small, true);
      }
      return;
    }
    let pos = 0;
    while (pos < file.size) {
      const chunk = await readChunk(file, pos, FILE_CHUNK);
      if (stream.closed) return;
      if (chunk.length === 0) break; // truncated underneath us: end what we have
      pos += chunk.length;
      const last = pos >= file.size;
      stream.sendData(chunk, last && !tr);
      if (last) break;
      await stream.drained();
    }
    if (tr) stream.end(tr);
    else if (pos < file.size) stream.end();
  } catch {
    safeReset(stream);
  } finally {
    site.release(file);
  }
}
