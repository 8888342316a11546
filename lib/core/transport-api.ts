/**
 * @module transport-api
 * `xmpp-server-core/transport`: for transport authors (the c2s and websocket modules, and a
 * future BOSH or HTTP/2 one). A transport owns bytes and framing and drives a core session
 * through `TransportSession`; the session owns the XMPP stream. Here: the Transport seam, the
 * stream parser (TCP) and frame parser (RFC 7395), the stream-error table with its WebSocket
 * close codes, channel binding, and the session options every transport reads.
 */
export type { Transport, StreamAttrs, ChannelBindingType } from './transport.js';
export type { TransportSession } from './session-view.js';
export type { TransportSessionRegistry } from './sessions.js';
export { transportSessions } from './sessions.js';
export { StreamParser } from './xml-parser.js';
export type { StreamParserHandler, StreamParserLimits } from './xml-parser.js';
export { parseFrame } from './xml-frame.js';
export type { FrameLimits, FrameResult } from './xml-frame.js';
export {
  STREAM_ERRORS, STREAM_ERROR_CONDITIONS, NORMAL_CLOSE_CODE, closeCodeFor, defaultTextFor, isStreamErrorCondition,
} from './stream-errors.js';
export type { StreamErrorCondition, StreamErrorInfo } from './stream-errors.js';
export { streamErrorElement, DEFAULT_INSECURE_HINT } from './session-elements.js';
export { SESSION_OPTIONS, readTimeoutMs } from './session-options.js';
export { channelBindingData } from './certificates.js';
export type { SessionSettings } from './session-options.js';
