/** The frame printer: nghttp's verbose trace, `--hexdump`, and the JSON-lines trace. */
export * from './printer';
export * from './hexdump';
export * from './names';
export * from './category';
