import { G2gError } from '../errors';
/**
 * rtsp:// URLs (RFC 2326 3.2) with optional `user:password@`: credentials are split off at once, so the
 * URL that goes into requests, logs, errors and stats never holds them.
 */

export class RtspUrlError extends G2gError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RTSP_URL', message, options);
  }
  override readonly name = 'RtspUrlError';
}

export interface RtspUrl {
  readonly scheme: 'rtsp' | 'rtsps';
  /** Host name or address (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** Path and query, at least '/'. */
  readonly path: string;
  readonly user?: string;
  readonly password?: string;
  /** The URL without credentials: what requests carry and messages may show. */
  readonly uri: string;
}

export const DEFAULT_RTSP_PORT = 554;

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new RtspUrlError(`the ${what} in the RTSP URL is not valid percent-encoding`);
  }
}

/** Parses an rtsp:// URL; throws RtspUrlError, whose message never quotes the credentials. */
export function parseRtspUrl(url: string): RtspUrl {
  if (typeof url !== 'string') throw new RtspUrlError('an RTSP URL must be a string');
  // The URI goes into request lines, where a space or a control character would split or end them.
  if (/[\s\x00-\x1f\x7f]/.test(url.trim())) throw new RtspUrlError('an RTSP URL must not contain spaces or control characters (percent-encode them: %20)');
  const m = /^(rtsps?):\/\/([^/?#]*)([^#]*)$/i.exec(url.trim());
  if (!m) throw new RtspUrlError(`not an rtsp:// URL: '${redactUrl(url)}'`);
  const scheme = m[1].toLowerCase() as 'rtsp' | 'rtsps';
  let authority = m[2];
  let user: string | undefined;
  let password: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const cred = authority.slice(0, at);
    authority = authority.slice(at + 1);
    const colon = cred.indexOf(':');
    user = decode(colon < 0 ? cred : cred.slice(0, colon), 'user name');
    password = colon < 0 ? undefined : decode(cred.slice(colon + 1), 'password');
  }
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d*))?$/.exec(authority);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else {
    const h = /^([^:]+)(?::(\d*))?$/.exec(authority);
    if (!h) throw new RtspUrlError(`no host in the RTSP URL '${redactUrl(url)}'`);
    host = h[1];
    portText = h[2];
  }
  const port = portText ? Number(portText) : DEFAULT_RTSP_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RtspUrlError(`port out of range in the RTSP URL '${redactUrl(url)}'`);
  const path = m[3] === '' ? '/' : m[3].startsWith('/') ? m[3] : `/${m[3]}`;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const uri = `${scheme}://${hostPart}${portText ? `:${port}` : ''}${path}`;
  return { scheme, host, port, path, user, password, uri };
}

// Greedy up to the authority's last '@', as parseRtspUrl splits it: a password containing '@' is removed whole.
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;

/** `url` with any `user:password@` removed: safe to print. */
export function redactUrl(url: string): string {
  return String(url).replace(USERINFO, '$1');
}

/** `url` with its password removed but its user kept (`rtsp://admin@cam/s`): safe to print, and names the same user. */
export function withoutPassword(url: string): string {
  return String(url).replace(USERINFO, (_m, scheme: string, info: string) => {
    const user = info.split(':', 1)[0];
    return user ? `${scheme}${user}@` : scheme;
  });
}
