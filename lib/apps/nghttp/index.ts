/**
 * nghttp's engine as a library (`import { runNghttp, parseNghttpArgs } from 'nghttp2-ts/nghttp'`):
 * parse an nghttp command line and fetch, with the frame trace, HAR and statistics nghttp prints.
 */
export { runNghttp, planRequests } from './client';
export type { NghttpIO, NghttpResult } from './client';
export { parseArgs as parseNghttpArgs, helpText as nghttpHelpText } from './options';
export type { NghttpOptions } from './options';
export { buildHar, formatHar } from './har';
export { formatStats as formatNghttpStats } from './stats';
