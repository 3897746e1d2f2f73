/** The Transport header (RFC 2326 12.39): what SETUP asks for and what the server chose. */

export interface TransportSpec {
  /** 'RTP/AVP' (UDP) or 'RTP/AVP/TCP'. */
  readonly protocol: string;
  readonly unicast: boolean;
  /** Channels of RTP and RTCP over the RTSP connection. */
  readonly interleaved?: readonly [number, number];
  readonly clientPort?: readonly [number, number];
  readonly serverPort?: readonly [number, number];
  readonly ssrc?: number;
  readonly source?: string;
  readonly mode?: string;
}

function range(v: string | undefined, max: number): readonly [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v.trim());
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a + 1 : Number(m[2]);
  return a <= max && b <= max ? [a, b] : undefined;
}

/** The first transport of a Transport value (servers answer with one); undefined when malformed. */
export function parseTransport(value: string): TransportSpec | undefined {
  const first = value.split(',')[0].trim();
  const parts = first.split(';').map((p) => p.trim());
  const protocol = parts[0].toUpperCase();
  if (!/^RTP\/AVP(\/(TCP|UDP))?$/.test(protocol)) return undefined;
  const params = new Map<string, string | undefined>();
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    params.set((eq < 0 ? p : p.slice(0, eq)).toLowerCase(), eq < 0 ? undefined : p.slice(eq + 1));
  }
  const ssrc = params.get('ssrc');
  return {
    protocol: protocol === 'RTP/AVP/UDP' ? 'RTP/AVP' : protocol,
    unicast: !params.has('multicast'),
    interleaved: range(params.get('interleaved'), 255),
    clientPort: range(params.get('client_port'), 65535),
    serverPort: range(params.get('server_port'), 65535),
    ssrc: ssrc !== undefined && /^[0-9a-f]{1,8}$/i.test(ssrc) ? parseInt(ssrc, 16) >>> 0 : undefined,
    source: params.get('source'),
    mode: params.get('mode'),
  };
}

export function formatTransport(t: TransportSpec): string {
  const parts = [t.protocol, t.unicast ? 'unicast' : 'multicast'];
  if (t.interleaved) parts.push(`interleaved=${t.interleaved[0]}-${t.interleaved[1]}`);
  if (t.clientPort) parts.push(`client_port=${t.clientPort[0]}-${t.clientPort[1]}`);
  if (t.serverPort) parts.push(`server_port=${t.serverPort[0]}-${t.serverPort[1]}`);
  if (t.ssrc !== undefined) parts.push(`ssrc=${(t.ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`);
  if (t.mode) parts.push(`mode=${t.mode}`);
  return parts.join(';');
}
