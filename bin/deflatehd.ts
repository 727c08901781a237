/**
 * deflatehd's command line: flags -> DeflateOptions -> the engine (lib/apps/hpack-tools);
 * exit 0 when every case was encoded, 1 on a bad flag or any bad case.
 */
import { DEFLATE_HELP, parseDeflateArgs, UsageError } from '../lib/apps/hpack-tools/options';
import { runDeflatehd } from '../lib/apps/hpack-tools/deflate';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseDeflateArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`deflatehd: ${e.message}\nTry 'deflatehd --help' for the options.\n`);
    return 1;
  }
  if (parsed.kind !== 'run') {
    process.stdout.write(DEFLATE_HELP);
    return 0;
  }
  return runDeflatehd(parsed.options, process.stdin, process.stdout, (line) => process.stderr.write(`deflatehd: ${line}\n`));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // A reader that went away (`| head`) is not an error worth a message.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
    process.stderr.write(`deflatehd: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
