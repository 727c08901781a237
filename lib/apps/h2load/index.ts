/**
 * h2load's engine as a library (`import { runH2load, parseH2loadArgs } from 'nghttp2-ts/h2load'`):
 * parse an h2load command line (or build an H2loadConfig yourself) and run the benchmark.
 */
export { runH2load } from './run';
export type { RunIO as H2loadIO, RunResult as H2loadResult } from './run';
export { parseArgs as parseH2loadArgs, resolveTarget } from './options';
export type { H2loadConfig, Target as H2loadTarget } from './options';
export { helpText as h2loadHelpText } from './help';
