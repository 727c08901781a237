/** The requests h2load sends: its header order, -H overrides, content-length for -d. */
import type { HeaderField } from '../../protocol/frame/types';
import { formatRequestHead } from '../../transport/http1';

/** Build a request's HTTP/1.1 head (h2load's: Host, User-Agent, then -H, then Content-Length). */
export function h1RequestHead(
  method: string,
  path: string,
  authority: string,
  ua: string,
  extra: [string, string][],
  contentLength?: number,
): Buffer {
  const fields: [string, string][] = [];
  const over = new Map(extra.map(([n, v]) => [n, v]));
  fields.push(['Host', over.get('host') ?? over.get(':authority') ?? authority]);
  fields.push(['User-Agent', over.get('user-agent') ?? ua]);
  for (const [n, v] of extra) if (n[0] !== ':' && n !== 'host' && n !== 'user-agent') fields.push([n, v]);
  if (contentLength !== undefined) fields.push(['Content-Length', String(contentLength)]);
  return formatRequestHead(over.get(':method') ?? method, over.get(':path') ?? path, fields);
}

/** Build a request's HTTP/2 header list (h2load's order: :path :scheme :authority :method user-agent, -H, content-length). */
export function h2RequestHeaders(
  method: string,
  path: string,
  scheme: string,
  authority: string,
  ua: string,
  extra: [string, string][],
  contentLength?: number,
): HeaderField[] {
  const list: HeaderField[] = [
    [':path', path],
    [':scheme', scheme],
    [':authority', authority],
    [':method', method],
    ['user-agent', ua],
  ];
  for (const [n, v] of extra) {
    const i = list.findIndex((x) => x[0] === (n === 'host' ? ':authority' : n));
    if (i >= 0) list[i] = [list[i][0], v];
    else list.push([n, v]);
  }
  if (contentLength !== undefined && !list.some((x) => x[0] === 'content-length')) list.push(['content-length', String(contentLength)]);
  return list;
}
