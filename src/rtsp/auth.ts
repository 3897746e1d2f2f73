/**
 * RTSP authentication (RFC 2326 uses HTTP's, RFC 2617): parsing WWW-Authenticate challenges and answering
 * them with Basic or Digest (MD5, qop=auth or none). Pure functions; the cnonce comes from the caller.
 */
import { G2gError } from '../errors';
import { utf8Encode } from '../util/utf8';
import { encodeBase64 } from '../rtp/base64';
import { md5Hex } from './md5';

/** Authentication that cannot proceed: a challenge the client cannot answer, or a server auth configuration that is invalid. */
export class RtspAuthError extends G2gError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RTSP_AUTH', message, options);
  }
  override readonly name = 'RtspAuthError';
}

export interface AuthChallenge {
  /** Lower-case scheme: 'basic', 'digest', or another the client cannot answer. */
  readonly scheme: string;
  /** Parameters, keys lower-cased, quotes removed. */
  readonly params: Readonly<Record<string, string>>;
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/**
 * Challenges of WWW-Authenticate values. One value may hold several challenges (`Basic realm="a", Digest
 * realm="a", nonce="b"`); a scheme starts wherever a token is followed by a space and not by '='.
 */
export function parseChallenges(values: readonly string[]): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  for (const value of values) {
    let i = 0;
    const s = value;
    let cur: { scheme: string; params: Record<string, string> } | undefined;
    while (i < s.length) {
      while (i < s.length && /[\s,]/.test(s[i])) i++;
      const tok = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(s.slice(i));
      if (!tok) break;
      i += tok[0].length;
      let j = i;
      while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
      if (s[j] === '=') {
        // A parameter of the current challenge.
        j++;
        while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
        let val = '';
        if (s[j] === '"') {
          j++;
          while (j < s.length && s[j] !== '"') {
            if (s[j] === '\\' && j + 1 < s.length) j++;
            val += s[j++];
          }
          j++;
        } else {
          const m = /^[^,\s]*/.exec(s.slice(j))!;
          val = m[0];
          j += val.length;
        }
        if (cur) cur.params[tok[0].toLowerCase()] = val;
        i = j;
      } else {
        cur = {
          scheme: tok[0].toLowerCase(),
          params: Object.create(null) as Record<string, string>,
        };
        out.push(cur);
        i = j;
      }
    }
  }
  return out;
}

/** Digest when offered (RFC 2617 4.6: the strongest), else Basic; undefined when neither is. */
export function chooseChallenge(challenges: readonly AuthChallenge[]): AuthChallenge | undefined {
  const digest = challenges.find(
    (c) => c.scheme === 'digest' && c.params.nonce !== undefined && (c.params.algorithm === undefined || /^md5$/i.test(c.params.algorithm))
  );
  return digest ?? challenges.find((c) => c.scheme === 'basic');
}

/** Control characters (NUL, CR, LF among them): a quoted-string cannot carry them (RFC 2616 2.2), nor can a header. */
const CONTROL = /[\x00-\x1f\x7f]/;

/** Throws RtspAuthError when `value` cannot be echoed in an Authorization header. */
function checkValue(value: string, what: string): void {
  if (CONTROL.test(value)) throw new RtspAuthError(`the server's Digest challenge cannot be answered: its ${what} contains a control character`);
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

export interface DigestState {
  /** Requests answered with this nonce so far (nc). */
  count: number;
}

/**
 * The Authorization value answering `challenge` for `method uri`. `cnonce` is used when the server asks
 * for qop=auth; `state.count` increments per request with the same nonce.
 */
export function authorization(
  challenge: AuthChallenge,
  cred: Credentials,
  method: string,
  uri: string,
  cnonce: string,
  state: DigestState = { count: 0 }
): string {
  if (challenge.scheme === 'basic') return `Basic ${encodeBase64(utf8Encode(`${cred.user}:${cred.password}`))}`;
  if (challenge.scheme !== 'digest') throw new RtspAuthError(`cannot answer a ${challenge.scheme.slice(0, 40)} challenge`);
  const p = challenge.params;
  const realm = p.realm ?? '';
  const nonce = p.nonce ?? '';
  // What the server sent comes back in the header: a NUL, CR or LF there would end or forge it.
  checkValue(realm, 'realm');
  checkValue(nonce, 'nonce');
  if (p.opaque !== undefined) checkValue(p.opaque, 'opaque');
  // Echoed unquoted: a token or nothing (chooseChallenge only picks MD5).
  if (p.algorithm !== undefined && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p.algorithm))
    throw new RtspAuthError("the server's Digest challenge cannot be answered: its algorithm is not a token");
  if (CONTROL.test(cred.user)) throw new RtspAuthError('the user name contains a control character');
  const ha1 = md5Hex(`${cred.user}:${realm}:${cred.password}`);
  const ha2 = md5Hex(`${method}:${uri}`);
  const qops = (p.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
  const parts = [`username=${quote(cred.user)}`, `realm=${quote(realm)}`, `nonce=${quote(nonce)}`, `uri=${quote(uri)}`];
  if (qops.includes('auth')) {
    state.count++;
    const nc = state.count.toString(16).padStart(8, '0');
    const response = md5Hex(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
    parts.push(`response=${quote(response)}`, 'qop=auth', `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  } else {
    parts.push(`response=${quote(md5Hex(`${ha1}:${nonce}:${ha2}`))}`);
  }
  if (p.opaque !== undefined) parts.push(`opaque=${quote(p.opaque)}`);
  if (p.algorithm !== undefined) parts.push(`algorithm=${p.algorithm}`);
  return `Digest ${parts.join(', ')}`;
}
