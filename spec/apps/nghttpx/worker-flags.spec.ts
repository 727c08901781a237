/** The Node flags a worker process of `-n N` starts with (workers.ts workerExecArgv). */
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { workerExecArgv, YOUNG_GENERATION_FLAG } from '../../../lib/apps/nghttpx/workers';

test('a worker gets the young generation flag and never the inspector', (t) => {
  t.deepEqual(workerExecArgv([]), [YOUNG_GENERATION_FLAG]);
  t.deepEqual(workerExecArgv(['--inspect=9229', '--stack-size=2000']), ['--stack-size=2000', YOUNG_GENERATION_FLAG]);
});

test('a semi-space flag given to the supervisor is passed on instead', (t) => {
  t.deepEqual(workerExecArgv(['--min-semi-space-size=16']), ['--min-semi-space-size=16']);
  t.deepEqual(workerExecArgv(['--max-semi-space-size=2']), ['--max-semi-space-size=2']);
  t.deepEqual(workerExecArgv(['--max_semi_space_size=4']), ['--max_semi_space_size=4']);
});

test("bin/nghttpx's #! line gives the supervisor the same flag", (t) => {
  let root = __dirname;
  while (!fs.existsSync(path.join(root, 'package.json'))) root = path.dirname(root);
  const first = fs.readFileSync(path.join(root, 'bin', 'nghttpx'), 'utf8').split('\n')[0];
  t.true(first.startsWith('#!/usr/bin/env -S node ') && first.split(' ').includes(YOUNG_GENERATION_FLAG), first);
});
