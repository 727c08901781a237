/** What every tool's launcher does after its main: exit codes, once stdout has drained. */

/**
 * Run a tool's async `main` and exit with the code it returns, after stdout has drained (a pipe
 * may still hold a body). Anything `main` throws is a bug, not a usage error: it is reported as
 * an internal error with its stack and the process exits 2.
 */
export function runMain(tool: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
      if (process.stdout.writableLength === 0) process.exit(code);
      else process.stdout.once('drain', () => process.exit(code));
    },
    (err: unknown) => {
      process.stderr.write(`${tool}: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(2);
    },
  );
}
