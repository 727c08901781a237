/**
 * inflatehd's command line: flags -> InflateOptions -> the engine (lib/apps/hpack-tools);
 * `--verify FILE...` checks story files. Exit 0 when all is well, 1 otherwise.
 */
import { INFLATE_HELP, parseInflateArgs, UsageError } from '../lib/apps/hpack-tools/options';
import { runInflatehd } from '../lib/apps/hpack-tools/inflate';
import { expandStoryArgs, formatVerifyTable, verifyStories } from '../lib/apps/hpack-tools/verify';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseInflateArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`inflatehd: ${e.message}\nTry 'inflatehd --help' for the options.\n`);
    return 1;
  }
  const stderr = (line: string) => process.stderr.write(`inflatehd: ${line}\n`);
  if (parsed.kind === 'help') {
    process.stdout.write(INFLATE_HELP);
    return 0;
  }
  if (parsed.kind === 'verify') {
    const files = expandStoryArgs(parsed.files);
    if (files.length === 0) {
      stderr(`--verify: no story files (*.json) in ${parsed.files.join(' ')}`);
      return 1;
    }
    const rows = verifyStories(files, stderr);
    process.stdout.write(formatVerifyTable(rows));
    return rows.some((r) => r.failed > 0) ? 1 : 0;
  }
  return runInflatehd(parsed.options, process.stdin, process.stdout, stderr);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // A reader that went away (`| head`) is not an error worth a message.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
    process.stderr.write(`inflatehd: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
