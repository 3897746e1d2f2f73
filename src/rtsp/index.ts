/** RTSP (RFC 2326), sans-IO: messages, authentication, URLs and the client state machine. Sockets live in node/. */
export { authorization, chooseChallenge, parseChallenges, RtspAuthError, type AuthChallenge, type Credentials, type DigestState } from './auth';
export {
  resolveControl,
  RtspClient,
  RtspError,
  TRANSITIONS,
  type RtspClientEvent,
  type RtspClientInput,
  type RtspClientOptions,
  type RtspClientState,
  type RtspErrorKind,
} from './client';
export { md5, md5Hex } from './md5';
export {
  RtspHeaders,
  RtspParseError,
  RtspParser,
  serializeInterleaved,
  serializeRequest,
  serializeResponse,
  type InterleavedFrame,
  type RtspMessage,
  type RtspParserLimits,
  type RtspRequest,
  type RtspResponse,
} from './message';
export { formatTransport, parseTransport, type TransportSpec } from './transport';
export { DEFAULT_RTSP_PORT, parseRtspUrl, redactUrl, RtspUrlError, type RtspUrl } from './url';
export {
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_REQUEST_TIMEOUT,
  RtspServerConnection,
  RtspServerError,
  type RtspServerTimeout,
  type RtspServerConnectionOptions,
  type RtspServerEvent,
  type RtspServerMount,
} from './server';
export { digestResponse, RtspServerAuth, type AuthFailure, type AuthMethod, type AuthResult, type RtspServerAuthOptions } from './server-auth';
export { SESSION_TIMERS, TimerTable, TimerTableError, type SessionTimer } from './session/timer-table';
export { afterSession, ReconnectPolicy, type AfterSession, type NextStep, type Outcome as RtspSessionOutcome } from './session/reconnect';
export { firstTransport, udpFailureFallsBack, udpTimeoutFor, type RtspProtocols, type Transport as RtspTransport } from './session/transport-policy';
