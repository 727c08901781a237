/**
 * deflatehd's command line: flags -> DeflateOptions -> the engine (lib/apps/hpack-tools);
 * exit 0 when every case was encoded, 1 on a bad flag or any bad case.
 */
import { launch, stdinIsReadable } from '../lib/apps/common/cli';
import { versionText } from '../lib/apps/common/version';
import { DEFLATE_HELP, parseDeflateArgs } from '../lib/apps/hpack-tools/options';
import { runDeflatehd } from '../lib/apps/hpack-tools/deflate';

launch('deflatehd', async () => {
  const parsed = parseDeflateArgs(process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(DEFLATE_HELP);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(versionText('deflatehd'));
    return 0;
  }
  if (parsed.kind !== 'run') return 1;
  stdinIsReadable('deflatehd');
  return runDeflatehd(parsed.options, process.stdin, process.stdout, (line) => process.stderr.write(`deflatehd: ${line}\n`));
});
