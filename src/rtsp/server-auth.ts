/**
 * Server-side RTSP authentication (RFC 2326 borrows HTTP's: RFC 2617, RFC 7616 for Digest), sans-IO:
 * WWW-Authenticate challenges out, Authorization values checked, `now` passed in.
 *
 * Nonces are stateless: `<time hex>.<MAC>` with MAC = MD5(time:secret), as RFC 2617 3.2.1 suggests, so a
 * server keeps no table of them and still rejects forged or expired ones. Replays of a (nonce, nc) pair
 * inside the nonce's lifetime are not tracked: over plain TCP anyone who can replay can read the stream.
 * No credential ever enters a result, an error or a log line.
 */
import { decodeBase64 } from '../rtp/base64';
import { randomUint32 } from '../rtp/random';
import { SECOND } from '../time';
import { utf8Decode } from '../util/utf8';
import { parseChallenges, RtspAuthError, type Credentials } from './auth';

/** Server-side configuration errors share the client's class (one code, RTSP_AUTH). */
export { RtspAuthError };
import { md5Hex } from './md5';

export type AuthMethod = 'basic' | 'digest';

export interface RtspServerAuthOptions {
  /** Who may connect: one user or several. */
  readonly users: Credentials | readonly Credentials[];
  /** Protection space shown to the user (default 'glass2glass'). */
  readonly realm?: string;
  /** Schemes offered, strongest first (default both, Digest first: clients pick Digest when offered). */
  readonly methods?: readonly AuthMethod[];
  /** Key of the nonce MAC (default: 128 random bits; give one to share nonces between servers). */
  readonly secret?: string;
  /** A nonce older than this (ns) is stale: the client must retry with a fresh one (default 5 min). */
  readonly nonceLifetime?: number;
}

export type AuthFailure = 'missing' | 'scheme' | 'malformed' | 'credentials' | 'nonce' | 'stale' | 'uri';

export type AuthResult =
  | {
      readonly ok: true;
      readonly user: string;
      readonly method: AuthMethod;
      readonly nonce?: string;
    }
  | {
      readonly ok: false;
      readonly reason: AuthFailure;
      /** The stale nonce (reason 'stale'). */ readonly nonce?: string;
    };

/** The Digest response (RFC 2617 3.2.2.1), qop=auth or none (RFC 2069), MD5. */
export function digestResponse(p: {
  user: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}): string {
  const ha1 = md5Hex(`${p.user}:${p.realm}:${p.password}`);
  const ha2 = md5Hex(`${p.method}:${p.uri}`);
  return p.qop === 'auth' ? md5Hex(`${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:auth:${ha2}`) : md5Hex(`${ha1}:${p.nonce}:${ha2}`);
}

/** Equal strings, in time that depends on the length only (no early exit leaking a matching prefix). */
function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i % Math.max(1, b.length));
  return diff === 0;
}

/** The path of a request URI (absolute rtsp:// or a bare path), without query or trailing slash. */
function pathOf(uri: string): string {
  const m = /^rtsps?:\/\/[^/]*(\/[^?#]*)?/i.exec(uri);
  const p = m ? m[1] ?? '/' : uri.split(/[?#]/)[0];
  return p.replace(/\/+$/, '');
}

const quote = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;

export class RtspServerAuth {
  readonly realm: string;
  readonly methods: readonly AuthMethod[];
  private readonly users: ReadonlyMap<string, string>;
  private readonly secret: string;
  private readonly lifetime: number;

  constructor(options: RtspServerAuthOptions) {
    const list = Array.isArray(options.users) ? (options.users as readonly Credentials[]) : [options.users as Credentials];
    if (list.length === 0) throw new RtspAuthError('auth needs at least one user');
    const users = new Map<string, string>();
    for (const u of list) {
      if (typeof u?.user !== 'string' || typeof u.password !== 'string') throw new RtspAuthError('each user needs a string user and password');
      // Basic sends user:password: a colon in the user name cannot be told apart.
      if (u.user === '' || /[:\r\n\0"\\]/.test(u.user)) throw new RtspAuthError('user names must be non-empty without : " \\ CR LF NUL');
      if (/[\r\n\0]/.test(u.password)) throw new RtspAuthError('passwords must not contain CR, LF or NUL');
      users.set(u.user, u.password);
    }
    this.users = users;
    this.realm = options.realm ?? 'glass2glass';
    if (/["\\\r\n\0]/.test(this.realm)) throw new RtspAuthError('realm must not contain " \\ CR LF NUL');
    this.methods = options.methods ?? ['digest', 'basic'];
    if (this.methods.length === 0 || this.methods.some((m) => m !== 'basic' && m !== 'digest'))
      throw new RtspAuthError(`methods must be basic and/or digest, got ${this.methods.join(',')}`);
    this.secret = options.secret ?? Array.from({ length: 4 }, () => randomUint32().toString(16).padStart(8, '0')).join('');
    this.lifetime = options.nonceLifetime ?? 300 * SECOND;
    if (!(this.lifetime > 0) || !Number.isFinite(this.lifetime)) throw new RtspAuthError(`nonceLifetime must be a positive number of ns, got ${this.lifetime}`);
  }

  /** The user names (for display; never the passwords). */
  get userNames(): string[] {
    return [...this.users.keys()];
  }

  /** A fresh nonce for time `now` (ns). */
  nonce(now: number): string {
    const t = Math.max(0, Math.floor(now)).toString(16);
    return `${t}.${md5Hex(`${t}:${this.secret}`)}`;
  }

  /** WWW-Authenticate values for a 401, one per method; `stale` tells a Digest client its nonce expired. */
  challenges(now: number, stale = false): string[] {
    return this.methods.map((m) =>
      m === 'basic'
        ? `Basic realm=${quote(this.realm)}`
        : `Digest realm=${quote(this.realm)}, nonce=${quote(this.nonce(now))}, algorithm=MD5, qop="auth"${stale ? ', stale=TRUE' : ''}`
    );
  }

  /** Checks the Authorization value of a `method uri` request. */
  verify(method: string, uri: string, authorization: string | undefined, now: number): AuthResult {
    if (authorization === undefined || authorization.trim() === '') return { ok: false, reason: 'missing' };
    const sp = /^\s*([A-Za-z]+)\s+(.*)$/s.exec(authorization);
    if (!sp) return { ok: false, reason: 'malformed' };
    const scheme = sp[1].toLowerCase();
    if (scheme === 'basic' && this.methods.includes('basic')) return this.basic(sp[2].trim());
    if (scheme === 'digest' && this.methods.includes('digest')) return this.digest(method, uri, authorization, now);
    return { ok: false, reason: 'scheme' };
  }

  private basic(token: string): AuthResult {
    const bytes = /^[A-Za-z0-9+/]+=*$/.test(token) ? decodeBase64(token) : undefined;
    if (!bytes) return { ok: false, reason: 'malformed' };
    const text = utf8Decode(bytes);
    const colon = text.indexOf(':');
    if (colon < 0) return { ok: false, reason: 'malformed' };
    return this.check(text.slice(0, colon), text.slice(colon + 1))
      ? { ok: true, user: text.slice(0, colon), method: 'basic' }
      : { ok: false, reason: 'credentials' };
  }

  private check(user: string, password: string): boolean {
    const expected = this.users.get(user);
    // Compared even for an unknown user, so that timing does not tell which user names exist.
    const same = sameText(password, expected ?? password + '\0');
    return expected !== undefined && same;
  }

  private digest(method: string, uri: string, authorization: string, now: number): AuthResult {
    const c = parseChallenges([authorization])[0];
    if (!c || c.scheme !== 'digest') return { ok: false, reason: 'malformed' };
    const p = c.params;
    const { username, realm, nonce, response } = p;
    if (username === undefined || realm === undefined || nonce === undefined || response === undefined || p.uri === undefined)
      return { ok: false, reason: 'malformed' };
    if (p.algorithm !== undefined && !/^md5$/i.test(p.algorithm)) return { ok: false, reason: 'scheme' };
    if (realm !== this.realm) return { ok: false, reason: 'credentials' };
    // The digest covers its own uri: it must name the resource requested, or it could be replayed on another.
    if (pathOf(p.uri) !== pathOf(uri)) return { ok: false, reason: 'uri' };
    const qop = p.qop?.toLowerCase();
    if (qop !== undefined && qop !== 'auth') return { ok: false, reason: 'malformed' };
    if (qop === 'auth' && (p.nc === undefined || !/^[0-9a-f]{8}$/i.test(p.nc) || p.cnonce === undefined)) return { ok: false, reason: 'malformed' };
    const dot = nonce.indexOf('.');
    const t = nonce.slice(0, dot);
    if (dot <= 0 || !/^[0-9a-f]{1,14}$/.test(t) || !sameText(nonce, this.nonce(parseInt(t, 16)))) return { ok: false, reason: 'nonce' };
    const password = this.users.get(username);
    const expected = digestResponse({
      user: username,
      realm,
      password: password ?? '',
      method,
      uri: p.uri,
      nonce,
      qop,
      nc: p.nc,
      cnonce: p.cnonce,
    });
    if (password === undefined || !sameText(response.toLowerCase(), expected)) return { ok: false, reason: 'credentials' };
    // Right credentials on an old nonce: the client retries with a fresh one without asking its user.
    if (now - parseInt(t, 16) > this.lifetime) return { ok: false, reason: 'stale', nonce };
    return { ok: true, user: username, method: 'digest', nonce };
  }
}
