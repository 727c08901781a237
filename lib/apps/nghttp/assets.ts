/**
 * -a: find the resources an HTML page links to, with a real HTML parser (htmlparser2), fed
 * incrementally as DATA arrives. As the reference: `<link rel=stylesheet>` (css),
 * `<link rel="shortcut icon">` (other), `<img src>` (img), `<script src>` (js inside <head>,
 * unblocked-js outside). Links resolve against the page URI; fragments are dropped; only
 * same-origin links are kept.
 */
import { Parser } from 'htmlparser2';
import type { ResourceType } from './priority';

/** One link found in the page. */
export interface FoundLink {
  /** Absolute URI without fragment. */
  uri: string;
  type: ResourceType;
}

function origin(u: URL): string {
  const port = u.port || (u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '');
  return `${u.protocol}//${u.hostname.toLowerCase()}:${port}`;
}

/** Incremental link extractor for one HTML document. */
export class AssetParser {
  private readonly parser: Parser;
  private readonly base: URL;
  private insideHead = 0;
  private found: FoundLink[] = [];
  private readonly decoder = new TextDecoder('utf-8');

  /** @param baseUri the page's own URI: links resolve against it and must share its origin. */
  constructor(baseUri: string) {
    this.base = new URL(baseUri);
    this.parser = new Parser(
      {
        onopentag: (name, attrs) => this.open(name, attrs),
        onclosetag: (name) => {
          if (name === 'head' && this.insideHead > 0) this.insideHead--;
        },
      },
      { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
    );
  }

  private open(name: string, attrs: Record<string, string>): void {
    if (name === 'head') this.insideHead++;
    else if (name === 'link') {
      const rel = (attrs.rel ?? '').trim().toLowerCase();
      const href = attrs.href;
      if (href === undefined) return;
      if (rel === 'stylesheet') this.add(href, 'css');
      else if (rel === 'shortcut icon') this.add(href, 'other');
    } else if (name === 'img') {
      if (attrs.src !== undefined) this.add(attrs.src, 'img');
    } else if (name === 'script') {
      if (attrs.src !== undefined) this.add(attrs.src, this.insideHead > 0 ? 'js' : 'unblocked-js');
    }
  }

  private add(ref: string, type: ResourceType): void {
    let u: URL;
    try {
      u = new URL(ref.trim(), this.base);
    } catch {
      return; // not a URI: nothing to fetch
    }
    if (origin(u) !== origin(this.base)) return;
    u.hash = '';
    this.found.push({ uri: u.href, type });
  }

  /** Feed a chunk of the (decoded) body. */
  write(chunk: Buffer | string): void {
    this.parser.write(typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
  }

  /** The document ended. */
  end(): void {
    const rest = this.decoder.decode();
    if (rest) this.parser.write(rest);
    this.parser.end();
  }

  /** Links found since the last call, in document order. */
  takeLinks(): FoundLink[] {
    const out = this.found;
    this.found = [];
    return out;
  }
}

/** All same-origin links of a whole document (convenience for tests and one-shot use). */
export function findAssets(html: string | Buffer, baseUri: string): FoundLink[] {
  const p = new AssetParser(baseUri);
  p.write(html);
  p.end();
  return p.takeLinks();
}
