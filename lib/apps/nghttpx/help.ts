/** nghttpx's `--help` text, from the option table: every option in its group, and plainly which are not built yet. */
import { NGHTTPX_VERSION } from './options';
import { OPTIONS } from './option-table';

/** The help text printed by `nghttpx -h`. */
export function helpText(): string {
  const groups: string[] = [];
  for (const o of OPTIONS) if (!groups.includes(o.group) && o.group !== 'Config') groups.push(o.group);
  let out = `Usage: nghttpx [OPTIONS]... [<PRIVATE_KEY> <CERT>]
A reverse proxy for HTTP/2 and HTTP/1 (nghttp2-ts ${NGHTTPX_VERSION}; no HTTP/3).

  <PRIVATE_KEY>  Private key file for the TLS frontend.
  <CERT>         Certificate file (PEM) for the TLS frontend.

Every option of nghttpx is accepted, on the command line and as name=value in
a configuration file (--conf, default /etc/nghttpx/nghttpx.conf when it exists;
include=PATH; flags take yes or no; '#' starts a comment). Options marked (*)
are parsed but not yet effective: setting one logs a one-line warning.
See 'man nghttpx' for what each does.
`;
  for (const g of groups) {
    out += `\n${g}:\n`;
    for (const o of OPTIONS.filter((x) => x.group === g)) {
      const name = `${o.short ? `-${o.short}, ` : '    '}--${o.long}${o.arg ? `=${o.arg}` : ''}`;
      out += `  ${name}${o.effective ? '' : ' (*)'}\n`;
    }
  }
  out += `
Not built yet: the options marked (*) above; HTTP/3 ('quic'); mruby.
Signals: SIGQUIT graceful shutdown; SIGHUP reload the configuration; SIGUSR1
reopen the log files; SIGUSR2 start a new copy that takes over the listeners;
SIGTERM/SIGINT exit at once.

  <SIZE>: an integer with an optional K, M or G unit (powers of 1024).
  <DURATION>: a number with an optional h, m, s or ms unit (default s).
`;
  return out;
}
