/**
 * nghttpx's engine as a library (`import { startNghttpx, parseNghttpxArgs } from 'nghttp2-ts/nghttpx'`):
 * parse an nghttpx command line (and config file) and run the proxy.
 */
export { startNghttpx, createEngine } from './proxy';
export type { NghttpxProxy, NghttpxEngine, ProxyIO as NghttpxIO } from './proxy';
export { parseArgs as parseNghttpxArgs } from './options';
export type { NghttpxOptions } from './options';
export { helpText as nghttpxHelpText } from './help';
