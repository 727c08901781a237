/**
 * Every protocol layer as a Node Transform stream and as an RxJS operator: the two generic adapters
 * (`toTransform`, `toOperator`) and the lifted layers (deframer, frame encoder, header-block
 * assembly and split, HPACK, the composed frame reader/writer, the session as a Duplex).
 *
 * ```text
 *   socket bytes ─ deframe ─ assembleHeaderBlocks ─ hpackDecode ─┐
 *                                                                 ├─ session (sessionDuplex / sessionEvents)
 *   socket bytes ─ encodeFrames ─ splitHeaderBlocks ─ hpackEncode ┘
 *   (readFrames / writeFrames compose the first three of each row into one stage)
 * ```
 *
 * @module operators
 */
export * from './adapt';
export * from './frames';
export * from './hpack';
export * from './layers';
export * from './session';
