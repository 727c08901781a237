/** Checks the fields HAR 1.2 (W3C Web Performance draft, "HTTP Archive 1.2") marks as required. */
export function harProblems(har: unknown): string[] {
  const p: string[] = [];
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const need = (o: unknown, where: string, fields: [string, string][]) => {
    if (!isObj(o)) {
      p.push(`${where} is not an object`);
      return;
    }
    for (const [k, type] of fields) {
      const v = o[k];
      const actual = Array.isArray(v) ? 'array' : typeof v;
      if (actual !== type) p.push(`${where}.${k}: expected ${type}, got ${actual}`);
    }
  };
  const date = (s: unknown, where: string) => {
    if (typeof s !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s))
      p.push(`${where}: not ISO 8601: ${String(s)}`);
  };
  const nv = (arr: unknown, where: string) => {
    if (!Array.isArray(arr)) return;
    arr.forEach((h, i) =>
      need(h, `${where}[${i}]`, [
        ['name', 'string'],
        ['value', 'string'],
      ]),
    );
  };
  if (!isObj(har)) return ['root is not an object'];
  const log = har.log;
  need(log, 'log', [
    ['version', 'string'],
    ['creator', 'object'],
    ['entries', 'array'],
  ]);
  if (!isObj(log)) return p;
  need(log.creator, 'log.creator', [
    ['name', 'string'],
    ['version', 'string'],
  ]);
  if (log.pages !== undefined) {
    if (!Array.isArray(log.pages)) p.push('log.pages is not an array');
    else
      log.pages.forEach((pg, i) => {
        need(pg, `log.pages[${i}]`, [
          ['startedDateTime', 'string'],
          ['id', 'string'],
          ['title', 'string'],
          ['pageTimings', 'object'],
        ]);
        if (isObj(pg)) date(pg.startedDateTime, `log.pages[${i}].startedDateTime`);
      });
  }
  (Array.isArray(log.entries) ? log.entries : []).forEach((e, i) => {
    const w = `log.entries[${i}]`;
    need(e, w, [
      ['startedDateTime', 'string'],
      ['time', 'number'],
      ['request', 'object'],
      ['response', 'object'],
      ['cache', 'object'],
      ['timings', 'object'],
    ]);
    if (!isObj(e)) return;
    date(e.startedDateTime, `${w}.startedDateTime`);
    need(e.request, `${w}.request`, [
      ['method', 'string'],
      ['url', 'string'],
      ['httpVersion', 'string'],
      ['cookies', 'array'],
      ['headers', 'array'],
      ['queryString', 'array'],
      ['headersSize', 'number'],
      ['bodySize', 'number'],
    ]);
    need(e.response, `${w}.response`, [
      ['status', 'number'],
      ['statusText', 'string'],
      ['httpVersion', 'string'],
      ['cookies', 'array'],
      ['headers', 'array'],
      ['content', 'object'],
      ['redirectURL', 'string'],
      ['headersSize', 'number'],
      ['bodySize', 'number'],
    ]);
    if (isObj(e.request)) nv(e.request.headers, `${w}.request.headers`);
    if (isObj(e.response)) {
      nv(e.response.headers, `${w}.response.headers`);
      need(e.response.content, `${w}.response.content`, [
        ['size', 'number'],
        ['mimeType', 'string'],
      ]);
    }
    need(e.timings, `${w}.timings`, [
      ['send', 'number'],
      ['wait', 'number'],
      ['receive', 'number'],
    ]);
    if (isObj(e.timings))
      for (const k of ['send', 'wait', 'receive']) if ((e.timings[k] as number) < 0) p.push(`${w}.timings.${k} is negative`);
  });
  return p;
}

/** The key paths of a JSON value in order (array items collapse to one), to compare layouts. */
export function keyPaths(v: unknown, prefix = ''): string[] {
  if (Array.isArray(v)) return v.length ? keyPaths(v[0], prefix + '[]') : [prefix + '[]'];
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v).flatMap(([k, x]) => [prefix + '.' + k, ...keyPaths(x, prefix + '.' + k)]);
  }
  return [];
}
