/**
 * inflatehd's command line: flags -> InflateOptions -> the engine (lib/apps/hpack-tools);
 * `--verify FILE...` checks story files. Exit 0 when all is well, 1 otherwise.
 */
import fs = require('fs');
import { launch, stdinIsReadable } from '../lib/apps/common/cli';
import { versionText } from '../lib/apps/common/version';
import { INFLATE_HELP, parseInflateArgs } from '../lib/apps/hpack-tools/options';
import { runInflatehd } from '../lib/apps/hpack-tools/inflate';
import { expandStoryArgs, formatVerifyTable, verifyStories } from '../lib/apps/hpack-tools/verify';

launch('inflatehd', async () => {
  const parsed = parseInflateArgs(process.argv.slice(2));
  const stderr = (line: string) => process.stderr.write(`inflatehd: ${line}\n`);
  if (parsed.kind === 'help') {
    process.stdout.write(INFLATE_HELP);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(versionText('inflatehd'));
    return 0;
  }
  if (parsed.kind === 'verify') {
    // A path that is not there is the user's slip, not a story that failed: say so, count nothing.
    const missing = parsed.files.filter((f) => !fs.existsSync(f));
    for (const f of missing) stderr(`--verify: '${f}' does not exist`);
    const present = parsed.files.filter((f) => !missing.includes(f));
    if (present.length === 0) return 1;
    const files = expandStoryArgs(present);
    if (files.length === 0) {
      stderr(`--verify: no story files (*.json) in ${parsed.files.join(' ')}`);
      return 1;
    }
    const rows = verifyStories(files, stderr);
    process.stdout.write(formatVerifyTable(rows));
    return missing.length > 0 || rows.some((r) => r.failed > 0) ? 1 : 0;
  }
  stdinIsReadable('inflatehd');
  return runInflatehd(parsed.options, process.stdin, process.stdout, stderr);
});
