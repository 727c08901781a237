/** deflatehd / inflatehd through their bin/ launchers: outputs, options and every error path. */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn } from 'child_process';
import { hpackTestCaseDir, NO_HPACK_TEST_CASE, repoRoot } from '../../helpers/repo';

const ROOT = repoRoot();
const VECTORS = hpackTestCaseDir() ?? '';
/** Specs that read the hpack-test-case stories; skipped, saying why, where they are absent. */
const tv = (title: string, fn: (t: ExecutionContext) => unknown) =>
  VECTORS ? test(title, fn) : test.skip(`${title} (skipped: ${NO_HPACK_TEST_CASE})`, fn);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(tool: 'deflatehd' | 'inflatehd', args: string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'bin', tool), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the tool may exit before reading everything
    child.stdin.end(input);
  });
}

const doc = (cases: unknown[]) => JSON.stringify({ cases });
const REQ = [{ ':method': 'GET' }, { ':path': '/' }, { ':authority': 'example.org' }, { 'user-agent': 'caf\u00e9' }];

test('deflatehd: JSON in, a complete JSON document out, with the reference fields and a summary on stderr', async (t) => {
  const r = await run('deflatehd', [], doc([{ headers: REQ }, { headers: REQ }]));
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.is(out.cases.length, 2);
  const [c0, c1] = out.cases;
  t.deepEqual(Object.keys(c0), [
    'seq',
    'input_length',
    'output_length',
    'percentage_of_original_size',
    'wire',
    'headers',
    'header_table_size',
  ]);
  t.is(c0.seq, 0);
  t.is(c0.input_length, 7 + 3 + 5 + 1 + 10 + 11 + 10 + 5); // 'café' is 5 octets in UTF-8
  t.is(c0.output_length, c0.wire.length / 2);
  t.is(c0.percentage_of_original_size, (c0.output_length / c0.input_length) * 100);
  t.deepEqual(c0.headers, REQ);
  t.is(c0.header_table_size, 4096);
  t.false('header_table_size' in c1);
  t.true(c1.output_length < c0.output_length, 'the second list is mostly indexed');
  t.regex(r.stderr, /Overall: input=\d+ output=\d+ ratio=0\.\d\d/);
});

tv('deflatehd | inflatehd round-trips a raw-data story', async (t) => {
  const input = fs.readFileSync(path.join(VECTORS, 'raw-data/story_05.json'), 'utf8');
  const d = await run('deflatehd', [], input);
  t.is(d.code, 0, d.stderr);
  const i = await run('inflatehd', [], d.stdout);
  t.is(i.code, 0, i.stderr);
  const want = JSON.parse(input).cases.map((c: { headers: unknown }) => c.headers);
  t.deepEqual(
    JSON.parse(i.stdout).cases.map((c: { headers: unknown }) => c.headers),
    want,
  );
});

test('deflatehd -t: HTTP/1 text blocks, CRLF and a last block without a trailing empty line', async (t) => {
  const r = await run('deflatehd', ['-t'], ':method: GET\r\n:path: /a\r\nhost:  x\r\n\r\n:method: POST\r\n:path: /b');
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.deepEqual(
    out.cases.map((c: { headers: unknown }) => c.headers),
    [
      [{ ':method': 'GET' }, { ':path': '/a' }, { host: 'x' }],
      [{ ':method': 'POST' }, { ':path': '/b' }],
    ],
  );
});

test('deflatehd -s/-S: the table size in effect is min(S, s), signalled at the start of the first block', async (t) => {
  const a = JSON.parse((await run('deflatehd', ['-s', '16384'], doc([{ headers: REQ }]))).stdout);
  t.regex(a.cases[0].wire, /^3fe11f/); // 4096
  t.is(a.cases[0].header_table_size, 16384);
  const b = JSON.parse((await run('deflatehd', ['--table-size=16K', '-S', '1024'], doc([{ headers: REQ }]))).stdout);
  t.regex(b.cases[0].wire, /^3fe107/); // 1024
  const c = JSON.parse((await run('deflatehd', ['-S', '1024'], doc([{ headers: REQ }]))).stdout);
  t.regex(c.cases[0].wire, /^3fe107/, 'an own cap below 4096 is signalled too, as nghttp2 does');
  const d = JSON.parse((await run('deflatehd', ['-S', '8192'], doc([{ headers: REQ }]))).stdout);
  t.regex(d.cases[0].wire, /^82/, 'no update when the size in effect stays 4096');
});

test('deflatehd -d / inflatehd -d: the dynamic table after each block', async (t) => {
  const d = await run('deflatehd', ['-d'], doc([{ headers: REQ }]));
  const table = JSON.parse(d.stdout).cases[0].header_table;
  t.deepEqual(Object.keys(table), ['entries', 'size', 'max_size']);
  t.is(table.max_size, 4096);
  t.deepEqual(table.entries[0], { index: 62, name: 'user-agent', value: 'caf\u00e9', size: 10 + 5 + 32 });
  t.is(
    table.size,
    table.entries.reduce((a: number, e: { size: number }) => a + e.size, 0),
  );
  const i = await run('inflatehd', ['--dump-header-table'], d.stdout);
  t.deepEqual(JSON.parse(i.stdout).cases[0].header_table, table);
});

test('deflatehd: invalid JSON is reported with its line and column; stdout is still a JSON document', async (t) => {
  const r = await run('deflatehd', [], '{"cases": [\n  {"headers": []},\n  {"headers": [}\n]}');
  t.is(r.code, 1);
  t.regex(r.stderr, /invalid JSON input: .*line 3, column/);
  t.deepEqual(JSON.parse(r.stdout), { cases: [] });
  const empty = await run('deflatehd', [], '');
  t.is(empty.code, 1);
  t.regex(empty.stderr, /no input: expected a JSON document/);
  t.deepEqual(JSON.parse(empty.stdout), { cases: [] });
});

test('deflatehd: malformed cases are reported with their index, the others still encoded', async (t) => {
  const r = await run(
    'deflatehd',
    [],
    doc([{ headers: REQ }, { headers: [{ a: '1', b: '2' }] }, 'x', { headers: [{ a: 1 }] }, {}, { headers: REQ }]),
  );
  t.is(r.code, 1);
  t.regex(r.stderr, /case 1: headers\[0\] must have exactly one key/);
  t.regex(r.stderr, /case 2: a case must be an object/);
  t.regex(r.stderr, /case 3: headers\[0\] value of "a" must be a string/);
  t.regex(r.stderr, /case 4: "headers" must be an array/);
  t.deepEqual(
    JSON.parse(r.stdout).cases.map((c: { seq: number }) => c.seq),
    [0, 5],
  );
  const notCases = await run('deflatehd', [], '[1, 2]');
  t.is(notCases.code, 1);
  t.regex(notCases.stderr, /"cases" array/);
  const text = await run('deflatehd', ['-t'], ':method: GET\n\nno colon here\n\n:path: /\n');
  t.is(text.code, 1);
  t.regex(text.stderr, /case 1: line 3: no ':'/);
  t.deepEqual(
    JSON.parse(text.stdout).cases.map((c: { seq: number }) => c.seq),
    [0, 2],
  );
});

test('deflatehd / inflatehd: bad flags, bad values and stray arguments exit 1 with a message; --help exits 0', async (t) => {
  for (const [tool, args, re] of [
    ['deflatehd', ['--bogus'], /unrecognized option '--bogus'/],
    ['deflatehd', ['--table-sise=1'], /did you mean '--table-size'\?/],
    ['deflatehd', ['-x'], /invalid option -- 'x'/],
    ['deflatehd', ['-s', 'big'], /-s: bad SIZE 'big'/],
    ['deflatehd', ['-S'], /option requires an argument -- 'S'/],
    ['deflatehd', ['-s', '8G'], /too large \(at most 4294967295\)/],
    ['deflatehd', ['file.json'], /unexpected argument 'file.json'/],
    ['inflatehd', ['--bogus'], /unrecognized option '--bogus'/],
    ['inflatehd', ['file.json'], /unexpected argument 'file.json'/],
    ['inflatehd', ['--verify'], /--verify needs at least one story FILE/],
  ] as const) {
    const r = await run(tool, [...args]);
    t.is(r.code, 1, `${tool} ${args.join(' ')}`);
    t.regex(r.stderr, re);
    t.regex(r.stderr, new RegExp(`Try '${tool} --help'`));
    t.is(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  for (const tool of ['deflatehd', 'inflatehd'] as const) {
    const r = await run(tool, ['-h']);
    t.is(r.code, 0);
    t.regex(r.stdout, new RegExp(`^Usage: ${tool}`));
  }
});

test('inflatehd: decodes wires, applies header_table_size (null = absent) and reports size updates', async (t) => {
  const r = await run(
    'inflatehd',
    [],
    doc([
      { wire: '82864188f439ce75c875fa5784', header_table_size: null },
      { wire: '3fe107 8286'.replace(/ /g, ''), header_table_size: 1024 },
      { wire: '82' },
    ]),
  );
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout).cases;
  t.deepEqual(out[0], {
    seq: 0,
    wire: '82864188f439ce75c875fa5784',
    headers: [{ ':method': 'GET' }, { ':scheme': 'http' }, { ':authority': 'yahoo.co.jp' }, { ':path': '/' }],
  });
  t.is(out[1].header_table_size, 1024);
  t.false('header_table_size' in out[2]);
});

test('inflatehd: bad hex, odd length, missing wire and bad sizes are reported per case; exit 1', async (t) => {
  const r = await run(
    'inflatehd',
    [],
    doc([{ wire: '82' }, { wire: '8z' }, { wire: '828' }, {}, { wire: '82', header_table_size: 'x' }, 7, { wire: '84' }]),
  );
  t.is(r.code, 1);
  t.regex(r.stderr, /case 1: "wire" has a non-hex character 'z' at offset 1/);
  t.regex(r.stderr, /case 2: "wire" has an odd number of hex digits \(3\)/);
  t.regex(r.stderr, /case 3: "wire" is missing or not a string/);
  t.regex(r.stderr, /case 4: "header_table_size" must be an integer/);
  t.regex(r.stderr, /case 5: a case must be an object/);
  t.deepEqual(
    JSON.parse(r.stdout).cases.map((c: { seq: number }) => c.seq),
    [0, 6],
  );
});

test('inflatehd: a decoding error is reported with its case and RFC error code; later cases are not decoded', async (t) => {
  const r = await run('inflatehd', [], doc([{ wire: '82' }, { wire: 'be' }, { wire: '82' }]));
  t.is(r.code, 1);
  t.regex(r.stderr, /case 1: COMPRESSION_ERROR: index 62 is out of range/);
  t.regex(r.stderr, /case 2: not decoded: the decoding context was lost at case 1/);
  const out = JSON.parse(r.stdout);
  t.deepEqual(
    out.cases.map((c: { seq: number }) => c.seq),
    [0],
  );
  const inv = await run('inflatehd', [], 'not json');
  t.is(inv.code, 1);
  t.regex(inv.stderr, /invalid JSON input/);
  t.deepEqual(JSON.parse(inv.stdout), { cases: [] });
});

tv('inflatehd --verify: every story of every hpack-test-case directory passes, one table row per directory', async (t) => {
  const dirs = fs.readdirSync(VECTORS).filter((d) => fs.statSync(path.join(VECTORS, d)).isDirectory());
  // Files for some directories, the directory itself for the others.
  const args = dirs.flatMap((d, k) =>
    k % 2
      ? [path.join(VECTORS, d)]
      : fs
          .readdirSync(path.join(VECTORS, d))
          .filter((f) => f.endsWith('.json'))
          .map((f) => path.join(VECTORS, d, f)),
  );
  const r = await run('inflatehd', ['--verify', ...args]);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.regex(lines[0], /^directory\s+stories\s+cases\s+passed\s+failed/);
  for (const d of dirs)
    t.true(
      lines.some((l) => l.startsWith(d + ' ')),
      `row for ${d}`,
    );
  const nghttp2 = lines
    .find((l) => l.startsWith('nghttp2 '))!
    .trim()
    .split(/\s+/);
  t.deepEqual(nghttp2.slice(1, 5), ['32', '3384', '3384', '0']);
  t.regex(lines[lines.length - 1], /^total\s+318\s+30222\s+30222\s+0\s+3384$/);
});

tv('inflatehd --verify ROOT: the hpack-test-case root stands for every implementation directory in it', async (t) => {
  const r = await run('inflatehd', ['--verify', VECTORS]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout.trim().split('\n').pop()!, /^total\s+318\s+30222\s+30222\s+0\s+3384$/);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-empty-'));
  try {
    const none = await run('inflatehd', ['--verify', empty]);
    t.is(none.code, 1);
    t.regex(none.stderr, /no story files/);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

tv('inflatehd --verify: a tampered story fails with <dir>/story_NN#seqno named; exit 1', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-'));
  try {
    const dir = path.join(tmp, 'bad-impl');
    fs.mkdirSync(dir);
    const story = JSON.parse(fs.readFileSync(path.join(VECTORS, 'nghttp2/story_00.json'), 'utf8'));
    story.cases[1].headers[0] = { ':method': 'POST' };
    fs.writeFileSync(path.join(dir, 'story_00.json'), JSON.stringify(story));
    fs.writeFileSync(path.join(dir, 'story_01.json'), '{"cases": [{"wire": "be", "headers": []}, {"wire": "82", "headers": []}]}');
    fs.writeFileSync(path.join(dir, 'story_02.json'), '{oops');
    const r = await run('inflatehd', [
      '--verify',
      ...['story_00', 'story_01', 'story_02', 'story_03'].map((s) => path.join(dir, s + '.json')),
    ]);
    t.is(r.code, 1);
    t.regex(r.stderr, /bad-impl\/story_00#1: field 0: decoded ":method: GET", expected ":method: POST"/);
    t.regex(r.stderr, /bad-impl\/story_01#0: COMPRESSION_ERROR: index 62 is out of range/);
    t.regex(r.stderr, /bad-impl\/story_01#1: not decoded/);
    t.regex(r.stderr, /bad-impl\/story_02: cannot read the story/);
    t.regex(r.stderr, /--verify: '[^']*bad-impl\/story_03\.json' does not exist/);
    const row = r.stdout
      .split('\n')
      .find((l) => l.startsWith('bad-impl'))!
      .trim()
      .split(/\s+/);
    const cases = story.cases.length + 2 + 1;
    t.deepEqual(row.slice(1), ['3', String(cases), String(story.cases.length - 1), '4']);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('errors a new user meets: --verify on a missing path, a directory on stdin, --version', async (t) => {
  const v = await run('inflatehd', ['--verify', '/nonexistent-story-dir']);
  t.is(v.code, 1);
  t.is(v.stderr, "inflatehd: --verify: '/nonexistent-story-dir' does not exist\n");
  t.is(v.stdout, '', 'no table for stories that are not there');
  const dir = await new Promise<Run>((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'bin', 'deflatehd'), [], { stdio: [fs.openSync(os.tmpdir(), 'r'), 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  t.is(dir.code, 1);
  t.regex(dir.stderr, /^deflatehd: stdin is a directory/);
  for (const tool of ['deflatehd', 'inflatehd'] as const) {
    const r = await run(tool, ['--version']);
    t.is(r.code, 0);
    t.regex(r.stdout, new RegExp(`^${tool} nghttp2-ts/\\d+\\.\\d+\\.\\d+`));
  }
});
