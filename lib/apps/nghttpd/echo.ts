/**
 * --echo-upload: a POST/PUT body comes back as the response. Small bodies stay in memory, bigger
 * ones spill to an unlinked temporary file and are streamed back from it like any file.
 */
import fs = require('fs');
import os = require('os');
import path = require('path');
import type { Http2Stream } from '../../transport/stream';
import type { HeaderField } from '../../protocol/frame/types';
import { ErrorCode } from '../../protocol/errors';
import type { FileEntry, StaticSite } from './static';
import { streamFile } from './respond';

/** An echoed upload stays in memory up to this size, then spills to a temporary file. */
export const ECHO_MEMORY_BYTES = 64 * 1024;
/** Largest upload --echo-upload accepts (bounded disk use); bigger ones are reset. */
export const ECHO_MAX_BYTES = 1024 * 1024 * 1024;

/** --echo-upload: read the whole body (memory, then a temp file past ECHO_MEMORY_BYTES), send it back. */
export async function echoUpload(stream: Http2Stream, site: StaticSite, trailers: HeaderField[]): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tmp: { fd: number; file: string } | undefined;
  let pending: Promise<void> = Promise.resolve();
  try {
    await new Promise<void>((resolve, reject) => {
      const body = stream.body;
      body.on('data', (c: Buffer) => {
        size += c.length;
        if (size > ECHO_MAX_BYTES) {
          body.destroy();
          reject(new Error('upload too large'));
          return;
        }
        if (!tmp && size <= ECHO_MEMORY_BYTES) {
          chunks.push(c);
          return;
        }
        if (!tmp) {
          const file = path.join(os.tmpdir(), `nghttpd-echo-${process.pid}-${stream.id}-${Date.now()}`);
          const fd = fs.openSync(file, 'wx+', 0o600);
          fs.unlinkSync(file); // the fd keeps it alive; nothing is left behind
          tmp = { fd, file };
          chunks.push(c);
          const all = Buffer.concat(chunks);
          chunks.length = 0;
          body.pause();
          pending = writeAll(fd, all).then(() => {
            body.resume();
          });
          return;
        }
        body.pause();
        const t = tmp;
        pending = pending
          .then(() => writeAll(t.fd, c))
          .then(() => {
            body.resume();
          });
      });
      body.once('end', () => resolve());
      body.once('error', reject);
    });
    await pending;
  } catch {
    if (tmp) fs.close(tmp.fd, () => undefined);
    if (!stream.closed) stream.reset(size > ECHO_MAX_BYTES ? ErrorCode.REFUSED_STREAM : ErrorCode.INTERNAL_ERROR);
    return;
  }
  if (stream.closed) {
    if (tmp) fs.close(tmp.fd, () => undefined);
    return;
  }
  const headers = site.echoHeaders(size);
  const tr = trailers.length > 0 ? trailers : undefined;
  if (size === 0 && !tr) {
    stream.respond(headers, { endStream: true });
    return;
  }
  stream.respond(headers);
  if (size === 0) {
    stream.end(tr);
    return;
  }
  if (!tmp) {
    const data = Buffer.concat(chunks);
    if (tr) {
      stream.sendData(data, false);
      stream.end(tr);
    } else {
      stream.sendData(data, true);
    }
    return;
  }
  const entry: FileEntry = {
    realPath: '',
    fd: tmp.fd,
    size,
    sizeText: String(size),
    mtimeMs: 0,
    lastModified: '',
    refs: 1,
    checkedAt: 0,
    stale: true,
  };
  await streamFile(stream, entry, site, tr);
}

function writeAll(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const step = () => {
      fs.write(fd, buf, off, buf.length - off, null, (err, n) => {
        if (err) {
          reject(err);
          return;
        }
        off += n;
        if (off < buf.length) step();
        else resolve();
      });
    };
    step();
  });
}
