import { G2gError } from '../errors';
import { utf8Decode, utf8Encode } from '../util/utf8';
/**
 * RTSP/1.0 messages (RFC 2326 6, 7) and interleaved binary frames (10.12), sans-IO: bytes are pushed in any
 * chunking (one byte at a time included) and whole messages come out. Every size is bounded, so a hostile
 * or broken peer costs at most the limits, never unbounded memory; after a framing error the byte stream
 * cannot be resynchronised, so the parser stays failed.
 */

export class RtspParseError extends G2gError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RTSP_PARSE', message, options);
  }
  override readonly name = 'RtspParseError';
}

/** Header fields in order; names compared case-insensitively. */
export class RtspHeaders {
  readonly entries: (readonly [string, string])[] = [];

  constructor(init?: Iterable<readonly [string, string]>) {
    if (init) for (const [k, v] of init) this.add(k, v);
  }

  add(name: string, value: string): this {
    this.entries.push([name, value]);
    return this;
  }

  /** The first value of `name`. */
  get(name: string): string | undefined {
    const n = name.toLowerCase();
    for (const [k, v] of this.entries) if (k.toLowerCase() === n) return v;
    return undefined;
  }

  getAll(name: string): string[] {
    const n = name.toLowerCase();
    return this.entries.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
  }
}

export interface RtspResponse {
  readonly kind: 'response';
  readonly version: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: RtspHeaders;
  readonly body: Uint8Array;
}

export interface RtspRequest {
  readonly kind: 'request';
  readonly method: string;
  readonly uri: string;
  readonly version: string;
  readonly headers: RtspHeaders;
  readonly body: Uint8Array;
}

export interface InterleavedFrame {
  readonly kind: 'interleaved';
  readonly channel: number;
  /** A copy: the caller may keep it. */
  readonly data: Uint8Array;
}

export type RtspMessage = RtspResponse | RtspRequest | InterleavedFrame;

export interface RtspParserLimits {
  /** Start line and header fields, terminating blank line included (default 16 KiB). */
  readonly maxHeaderBytes?: number;
  /** Content-Length (default 1 MiB: an SDP is a few KiB). */
  readonly maxBodyBytes?: number;
  /** Header fields (default 100). */
  readonly maxHeaders?: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class RtspParser {
  private buf = new Uint8Array(4096);
  private start = 0;
  private end = 0;
  /** Where the search for the blank line resumes (relative to start), so byte-at-a-time input stays linear. */
  private scanned = 0;
  private failed: RtspParseError | undefined;
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;
  private readonly maxHeaders: number;
  /** A message whose head is parsed, waiting for its body. */
  private pendingHead: { head: Omit<RtspResponse, 'body'> | Omit<RtspRequest, 'body'>; headBytes: number; length: number } | undefined;

  constructor(limits: RtspParserLimits = {}) {
    this.maxHeaderBytes = limits.maxHeaderBytes ?? 16 * 1024;
    this.maxBodyBytes = limits.maxBodyBytes ?? 1024 * 1024;
    this.maxHeaders = limits.maxHeaders ?? 100;
  }

  /** Bytes held, not yet returned as messages. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(bytes: Uint8Array): void {
    if (this.failed || bytes.length === 0) return;
    const held = this.end - this.start;
    if (this.end + bytes.length > this.buf.length) {
      // Compact, then grow (bounded: next() fails before the buffer exceeds one message's limits).
      const need = held + bytes.length;
      const next = need > this.buf.length ? new Uint8Array(Math.max(need, this.buf.length * 2)) : this.buf;
      next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
      this.start = 0;
      this.end = held;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** The next whole message, undefined when more bytes are needed, or the error that ended parsing. */
  next(): RtspMessage | RtspParseError | undefined {
    if (this.failed) return this.failed;
    try {
      return this.parse();
    } catch (e) {
      if (!(e instanceof RtspParseError)) throw e;
      this.failed = e;
      this.start = this.end = 0;
      this.buf = new Uint8Array(0);
      return e;
    }
  }

  private parse(): RtspMessage | undefined {
    const b = this.buf;
    const avail = this.end - this.start;
    if (this.pendingHead) return this.body();
    if (avail === 0) return undefined;
    if (b[this.start] === 0x24) {
      // '$', channel, 16-bit length, data.
      if (avail < 4) return undefined;
      const channel = b[this.start + 1];
      const len = (b[this.start + 2] << 8) | b[this.start + 3];
      if (avail < 4 + len) return undefined;
      const data = b.slice(this.start + 4, this.start + 4 + len);
      this.consume(4 + len);
      return { kind: 'interleaved', channel, data };
    }
    // Find the end of the head: CRLF CRLF (bare LF LF tolerated, as servers in the wild send it).
    let i = this.start + Math.max(0, this.scanned - 3);
    let headEnd = -1;
    let bodyStart = -1;
    for (; i < this.end; i++) {
      if (b[i] !== 0x0a) continue;
      if (i >= this.start + 1 && b[i - 1] === 0x0a) {
        headEnd = i - 1;
        bodyStart = i + 1;
        break;
      }
      if (i >= this.start + 3 && b[i - 1] === 0x0d && b[i - 2] === 0x0a && b[i - 3] === 0x0d) {
        headEnd = i - 3;
        bodyStart = i + 1;
        break;
      }
    }
    if (headEnd < 0) {
      this.scanned = avail;
      if (avail > this.maxHeaderBytes) throw new RtspParseError(`message head exceeds ${this.maxHeaderBytes} bytes`);
      return undefined;
    }
    this.scanned = 0;
    const headBytes = bodyStart - this.start;
    if (headBytes > this.maxHeaderBytes) throw new RtspParseError(`message head exceeds ${this.maxHeaderBytes} bytes`);
    const text = utf8Decode(b.subarray(this.start, headEnd));
    const lines = text.split(/\r?\n/);
    // RFC 2616 4.1: empty lines before a message are ignored.
    while (lines.length && lines[0] === '') lines.shift();
    const first = lines.shift() ?? '';
    const headers = new RtspHeaders();
    for (const line of lines) {
      if (/^[ \t]/.test(line) && headers.entries.length) {
        // Obsolete line folding: continues the previous value.
        const last = headers.entries.length - 1;
        const [k, v] = headers.entries[last];
        headers.entries[last] = [k, `${v} ${line.trim()}`];
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw new RtspParseError(`malformed header line '${line.slice(0, 80)}'`);
      const name = line.slice(0, colon).trim();
      if (!TOKEN.test(name)) throw new RtspParseError(`malformed header name '${name.slice(0, 80)}'`);
      if (headers.entries.length >= this.maxHeaders) throw new RtspParseError(`more than ${this.maxHeaders} header fields`);
      headers.add(name, line.slice(colon + 1).trim());
    }
    const cl = headers.get('content-length');
    let length = 0;
    if (cl !== undefined) {
      if (!/^\d{1,10}$/.test(cl)) throw new RtspParseError(`bad Content-Length '${cl.slice(0, 40)}'`);
      length = Number(cl);
      if (length > this.maxBodyBytes) throw new RtspParseError(`body of ${length} bytes exceeds ${this.maxBodyBytes}`);
    }
    const resp = /^(RTSP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(first);
    let head: Omit<RtspResponse, 'body'> | Omit<RtspRequest, 'body'>;
    if (resp) {
      head = { kind: 'response', version: resp[1], status: Number(resp[2]), reason: resp[3] ?? '', headers };
    } else {
      const req = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) (RTSP\/\d\.\d)$/.exec(first);
      if (!req) throw new RtspParseError(`malformed start line '${first.slice(0, 80)}'`);
      head = { kind: 'request', method: req[1], uri: req[2], version: req[3], headers };
    }
    this.pendingHead = { head, headBytes, length };
    return this.body();
  }

  private body(): RtspMessage | undefined {
    const p = this.pendingHead!;
    if (this.end - this.start < p.headBytes + p.length) return undefined;
    const body = this.buf.slice(this.start + p.headBytes, this.start + p.headBytes + p.length);
    this.consume(p.headBytes + p.length);
    this.pendingHead = undefined;
    return { ...p.head, body } as RtspMessage;
  }

  private consume(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }
}

/** Rejects what would let a value inject a header or a message (CR, LF, NUL). */
function checkField(s: string, what: string): void {
  if (/[\r\n\0]/.test(s)) throw new RtspParseError(`${what} must not contain CR, LF or NUL`);
}

function serialize(first: string, headers: Iterable<readonly [string, string]>, body?: Uint8Array | string): Uint8Array {
  const b = typeof body === 'string' ? utf8Encode(body) : body;
  let head = `${first}\r\n`;
  let hasLength = false;
  for (const [k, v] of headers) {
    if (!TOKEN.test(k)) throw new RtspParseError(`bad header name '${k}'`);
    checkField(v, `header ${k}`);
    if (k.toLowerCase() === 'content-length') hasLength = true;
    head += `${k}: ${v}\r\n`;
  }
  if (b && b.length && !hasLength) head += `Content-Length: ${b.length}\r\n`;
  head += '\r\n';
  const h = utf8Encode(head);
  if (!b || b.length === 0) return h;
  const out = new Uint8Array(h.length + b.length);
  out.set(h);
  out.set(b, h.length);
  return out;
}

export function serializeRequest(method: string, uri: string, headers: Iterable<readonly [string, string]>, body?: Uint8Array | string): Uint8Array {
  if (!TOKEN.test(method)) throw new RtspParseError(`bad method '${method}'`);
  checkField(uri, 'request URI');
  if (/\s/.test(uri) || uri === '') throw new RtspParseError('request URI must be non-empty without spaces');
  return serialize(`${method} ${uri} RTSP/1.0`, headers, body);
}

export function serializeResponse(status: number, reason: string, headers: Iterable<readonly [string, string]>, body?: Uint8Array | string): Uint8Array {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new RtspParseError(`bad status ${status}`);
  checkField(reason, 'reason phrase');
  return serialize(`RTSP/1.0 ${status} ${reason}`, headers, body);
}

/** `$`, channel, length, data (RFC 2326 10.12). */
export function serializeInterleaved(channel: number, data: Uint8Array): Uint8Array {
  if (!Number.isInteger(channel) || channel < 0 || channel > 255) throw new RtspParseError(`interleaved channel must be 0..255, got ${channel}`);
  if (data.length > 0xffff) throw new RtspParseError(`interleaved frame of ${data.length} bytes exceeds 65535`);
  const out = new Uint8Array(4 + data.length);
  out[0] = 0x24;
  out[1] = channel;
  out[2] = data.length >>> 8;
  out[3] = data.length & 0xff;
  out.set(data, 4);
  return out;
}
