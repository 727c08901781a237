/**
 * nghttp's command line: flags -> NghttpOptions -> the engine (lib/apps/nghttp/client.ts).
 * Exit status: 0 when every request completed, 1 otherwise (the reference exits 0 regardless),
 * 1 for a bad option, value or URI.
 */
import { helpText, parseArgs, UsageError, versionText } from '../lib/apps/nghttp/options';
import { runNghttp } from '../lib/apps/nghttp/client';
import { packageVersion } from '../lib/apps/common/version';
import { runMain } from '../lib/apps/common/cli';

// A closed stdout (`nghttp ... | head`) ends the run quietly, as for any Unix filter.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`nghttp: ${e.message}\nTry 'nghttp --help' for the options.\n`);
      return 1;
    }
    throw e;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(versionText(packageVersion()));
    return 0;
  }
  for (const w of parsed.warnings) process.stderr.write(`nghttp: warning: ${w}\n`);
  const result = await runNghttp(parsed.options, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
  return result.exitCode;
}

runMain('nghttp', main);
