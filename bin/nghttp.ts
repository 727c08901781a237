/**
 * nghttp's command line: flags -> NghttpOptions -> the engine (lib/apps/nghttp/client.ts).
 * Exit status: 0 when every request completed, 1 otherwise (the reference exits 0 regardless),
 * 1 for a bad option, value or URI.
 */
import { launch } from '../lib/apps/common/cli';
import { versionText } from '../lib/apps/common/version';
import { helpText, parseArgs } from '../lib/apps/nghttp/options';
import { runNghttp } from '../lib/apps/nghttp/client';

launch('nghttp', async () => {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(versionText('nghttp'));
    return 0;
  }
  for (const w of parsed.warnings) process.stderr.write(`nghttp: warning: ${w}\n`);
  const result = await runNghttp(parsed.options, {
    stdout: process.stdout,
    stderr: process.stderr,
    // Only `-d -` reads stdin: touching process.stdin opens it (a file stdin loads Node's fs
    // streams and fs/promises, ~10 internal modules).
    get stdin() {
      return process.stdin;
    },
  });
  return result.exitCode;
});
