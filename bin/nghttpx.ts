/**
 * nghttpx's command line: flags and --conf -> NghttpxOptions -> the proxy engine
 * (lib/apps/nghttpx/proxy.ts); SIGQUIT shuts down gracefully, SIGTERM/SIGINT at once.
 */
import { helpText } from '../lib/apps/nghttpx/help';
import { formatErrorLine } from '../lib/apps/nghttpx/log';
import { NGHTTPX_VERSION, parseArgs, UsageError } from '../lib/apps/nghttpx/options';
import { startNghttpx } from '../lib/apps/nghttpx/proxy';

function fatal(level: 'ERROR' | 'FATAL', msg: string): void {
  process.stderr.write(formatErrorLine(Date.now(), process.pid, process.pid, '00000000', level, 'nghttpx', msg) + '\n');
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      fatal('ERROR', e.message);
      fatal('FATAL', "Failed to parse command-line argument. Try 'nghttpx --help'.");
      process.exit(1);
    }
    throw e;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(helpText());
    return;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`nghttpx nghttp2-ts/${NGHTTPX_VERSION}\n`);
    return;
  }
  let proxy;
  try {
    proxy = await startNghttpx(parsed.options);
  } catch (e) {
    fatal('FATAL', `Failed to start: ${(e as Error).message}`);
    process.exit(1);
  }
  for (const w of parsed.warnings) proxy.log('WARN', 'nghttpx', w);
  process.once('SIGQUIT', () => {
    proxy
      .shutdown()
      .then(() => {
        proxy.log('NOTICE', 'shrpx.cc:5209', 'Shutdown momentarily');
        process.exit(0);
      })
      .catch((err: Error) => {
        proxy.log('ERROR', 'nghttpx', `graceful shutdown failed: ${err.message}`);
        proxy.destroy();
        process.exit(1);
      });
  });
  const now = () => {
    proxy.destroy();
    process.exit(0);
  };
  process.once('SIGTERM', now);
  process.once('SIGINT', now);
}

void main();
