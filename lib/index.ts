/**
 * nghttp2-ts: the package root. HTTP/2 (RFC 9113) and HPACK (RFC 7541) as composable layers,
 * the high-level HPACK and server APIs, and the adapters that turn any layer into a Node
 * Transform or an RxJS operator.
 */
export * from './protocol/errors';
export * from './protocol/stage';
export * from './protocol/frame/constants';
export * from './protocol/frame/types';
export { toTransform, toOperator } from '../operators/adapt';
export * from './protocol/frame/padding';
export * from './protocol/frame/codec';
export * from './protocol/frame/deframer';
export * from './protocol/frame/header-block';
export * from './apps/printer';
export * from './protocol/frame/encoder';
export * from './protocol/frame/pipeline';
export {
  Session,
  DEFAULT_LIMITS,
  RFC_INITIAL_SETTINGS,
  StreamState,
  STREAM_STATE_NAMES,
} from './protocol/session';
export type {
  SessionOptions,
  SessionEvent,
  SessionLimits,
  LocalSettings,
  HeadersCategory,
  CloseCause,
  RequestOptions,
  RespondOptions,
} from './protocol/session';
export * from './protocol/http';
// Transport and the public client/server API (lib/transport, lib/server.ts, lib/client.ts).
export { Http2Connection } from './transport/connection';
export type { ConnectionOptions, ConnectionSessionOptions, ConnectionEvents, CloseInfo } from './transport/connection';
export { Http2Stream, StreamClosedError } from './transport/stream';
export { connect, UpgradeFailedError, AlpnError } from './transport/client';
export type { ConnectOptions, ClientConnection, TlsInfo, UpgradeRequest } from './transport/client';
export { listen } from './transport/server';
export type { ListenOptions, Http2Listener, AcceptInfo } from './transport/server';
export { Http1ParseError } from './transport/http1';
export { Throttle, ThrottledWriter, TokenBucket, SYSTEM_CLOCK } from './transport/throttle';
export type { ThrottleClock } from './transport/throttle';
export { HTTP2Server, BaseRequestHandler, toHeaderList } from './server';
export type { HTTP2ServerOptions, HandlerContext, RequestHandlerClass, ResponseInit, PushInit, HeadersInit, BodyInit } from './server';
export { HTTP2Client, TunnelRefusedError } from './client';
export type { ClientRequestInit, ClientResponse, PushedResponse, TunnelInit, ClientTunnel } from './client';
export { tunnelDuplex, TunnelDuplex } from './transport/tunnel';
export type { TunnelOptions } from './transport/tunnel';
export { sessionDuplex, sessionEvents } from '../operators/session';
export type { SessionDuplex, SessionLayerOptions } from '../operators/session';
// nghttpd: the static HTTP/2 server engine, its options and the static site (lib/apps/nghttpd).
export { startNghttpd, listenLines } from './apps/nghttpd/server';
export type { NghttpdServer, NghttpdIO } from './apps/nghttpd/server';
export { parseArgs as parseNghttpdArgs, helpText as nghttpdHelpText } from './apps/nghttpd/options';
export type { NghttpdOptions } from './apps/nghttpd/options';
export { StaticSite, decodeRequestPath, parseMimeTypes, loadMimeTypes, contentTypeFor } from './apps/nghttpd/static';
export type { SiteConfig, SiteRequest, SiteResponse, FileEntry } from './apps/nghttpd/static';
export * from './protocol/hpack';
export { HDDeflater, HDInflater, HDTableEntry, HeaderBytes } from './hpack';
export { hpackEncode, hpackDecode, hpackEncodeTransform, hpackDecodeTransform } from '../operators/hpack';
// nghttp: the HTTP/2 client engine, its options and its pieces (lib/apps/nghttp).
export { runNghttp, planRequests } from './apps/nghttp/client';
export type { NghttpIO, NghttpResult } from './apps/nghttp/client';
export { parseArgs as parseNghttpArgs, helpText as nghttpHelpText } from './apps/nghttp/options';
export type { NghttpOptions } from './apps/nghttp/options';
export { buildRequestHeaders as buildNghttpRequestHeaders } from './apps/nghttp/headers';
export { AssetParser, findAssets } from './apps/nghttp/assets';
export type { FoundLink } from './apps/nghttp/assets';
export { formatStats as formatNghttpStats } from './apps/nghttp/stats';
export { buildHar, formatHar } from './apps/nghttp/har';
export type { RequestRecord, ConnectionTiming } from './apps/nghttp/records';
// The frame layers as Transforms and RxJS operators (operators/frames.ts, operators/layers.ts).
export {
  deframerTransform,
  deframe,
  frameEncoderTransform,
  encodeFrames,
  headerBlockTransform,
  assembleHeaderBlocks,
  headerSplitTransform,
  splitHeaderBlocks,
} from '../operators/frames';
export {
  createFrameReader,
  createFrameWriter,
  frameReaderTransform,
  readFrames,
  frameWriterTransform,
  writeFrames,
} from '../operators/layers';
export type { ReaderLayerOptions, WriterLayerOptions } from '../operators/layers';
export { contextTrackerTransform, trackContext } from '../operators/frames';
export type { LayerTransform, LayerOperator } from '../operators/adapt';
// One context per connection, shared by its reading and writing layers (lib/protocol/context.ts).
export { ConnectionContext, bindDecoder, bindEncoder, bindMaxFrameSize } from './protocol/context';
export type { WireSettings, SettingsChange, SettingsListener } from './protocol/context';
// nghttpx: the reverse proxy engine, its options, routing, header rewriting and logs (lib/apps/nghttpx).
export { startNghttpx } from './apps/nghttpx/proxy';
export type { NghttpxProxy, ProxyIO as NghttpxIO } from './apps/nghttpx/proxy';
export { parseArgs as parseNghttpxArgs, parseFrontend, parseBackend } from './apps/nghttpx/options';
export type { NghttpxOptions, FrontendAddress, BackendAddress } from './apps/nghttpx/options';
export { helpText as nghttpxHelpText } from './apps/nghttpx/help';
export { matchRoute, parsePattern, normalizePath } from './apps/nghttpx/routing';
export type { Route, RoutePattern } from './apps/nghttpx/routing';
export { backendRequestFields, frontendResponseFields } from './apps/nghttpx/headers';
export { compileFormat as compileAccessLogFormat, formatAccessLine } from './apps/nghttpx/log';

// h2load: the load generator's engine (also `nghttp2-ts/h2load`).
export { runH2load, parseH2loadArgs, resolveTarget as resolveH2loadTarget, h2loadHelpText } from './apps/h2load';
export type { H2loadConfig, H2loadIO, H2loadResult } from './apps/h2load';
