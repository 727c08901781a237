/** deflatehd / inflatehd engines (the bin/ launchers parse flags and call these). */
export * from './cases';
export * from './stories';
export { runDeflatehd, deflateCaseStage, DeflateOptions } from './deflate';
export { runInflatehd, inflateCaseStage, InflateOptions, parseWire, parseTableSize } from './inflate';
export { verifyStories, formatVerifyTable, expandStoryArgs, VerifyRow } from './verify';
