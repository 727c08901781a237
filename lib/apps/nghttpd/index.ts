/**
 * nghttpd's engine as a library (`import { startNghttpd, parseNghttpdArgs } from 'nghttp2-ts/nghttpd'`):
 * parse an nghttpd command line and serve a directory over HTTP/2.
 */
export { startNghttpd, listenLines } from './server';
export type { NghttpdServer, NghttpdIO } from './server';
export { parseArgs as parseNghttpdArgs, helpText as nghttpdHelpText } from './options';
export type { NghttpdOptions } from './options';
export { StaticSite } from './static';
