/**
 * h2load's command line: flags -> H2loadConfig -> the load engine (lib/apps/h2load/run.ts).
 * Exit status: 0 when the benchmark ran (whatever the status codes), 1 for a bad option, value,
 * file or URI, and 1 when not a single request could be completed (e.g. connection refused) —
 * where nghttp2's h2load exits 0; see the README.
 */
import { launch } from '../lib/apps/common/cli';
import { versionText } from '../lib/apps/common/version';
import { helpText } from '../lib/apps/h2load/help';
import { parseArgs } from '../lib/apps/h2load/options';
import { runH2load } from '../lib/apps/h2load/run';
import { directStdout } from '../lib/apps/h2load/stdout';

launch('h2load', async () => {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(versionText('h2load'));
    return 0;
  }
  const r = await runH2load(parsed.config, { stdout: directStdout(), stderr: process.stderr });
  return r.exitCode;
});
