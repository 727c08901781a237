/**
 * `--frontend-http2-dump-request-header` / `--frontend-http2-dump-response-header`: every header
 * block the HTTP/2 frontend receives (requests) or sends (responses), "in HTTP/1 header field
 * format and each header block is followed by an empty line", pseudo-headers included, in the
 * order they were on the wire. The file is truncated at start-up and written synchronously, one
 * block at a time, as the reference does; like it, not meant for `-n 2` and more.
 */
import fs = require('fs');
import { ToolError } from '../common/cli';

/** One dump file. */
export class HeaderDump {
  private fd: number | undefined;

  /** Open (truncate) `path`; a path that cannot be opened is a start-up error naming the option. */
  constructor(
    readonly path: string,
    option: string,
  ) {
    try {
      this.fd = fs.openSync(path, 'w', 0o600);
    } catch (err) {
      throw new ToolError(`${option}: cannot open ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  /** Append one header block: `name: value` lines, then an empty line. */
  write(fields: readonly (readonly [string, string, ...unknown[]])[]): void {
    if (this.fd === undefined) return;
    let text = '';
    for (let i = 0; i < fields.length; i++) text += `${fields[i][0]}: ${fields[i][1]}\n`;
    try {
      fs.writeSync(this.fd, `${text}\n`);
    } catch {
      // A full disk or a removed file does not stop the proxy; the dump just ends.
      this.close();
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fs.closeSync(fd);
    } catch {
      // closed already
    }
  }
}

/** The dumps a configuration asks for (either may be absent). */
export interface HeaderDumps {
  request?: HeaderDump;
  response?: HeaderDump;
}

/** Open the dumps `--frontend-http2-dump-*-header` name. */
export function openHeaderDumps(requestPath: string | undefined, responsePath: string | undefined): HeaderDumps {
  const request = requestPath ? new HeaderDump(requestPath, 'frontend-http2-dump-request-header') : undefined;
  try {
    const response = responsePath ? new HeaderDump(responsePath, 'frontend-http2-dump-response-header') : undefined;
    return { request, response };
  } catch (err) {
    request?.close();
    throw err;
  }
}
