/**
 * Which lower transport a session tries, and when 'udp+tcp' gives UDP up for TCP. Pure decisions, moved
 * out of the Node driver so that they can be tested (and reused) without sockets.
 */
import { RtspError } from '../client';

export type RtspProtocols = 'tcp' | 'udp' | 'udp+tcp';
export type Transport = 'tcp' | 'udp';

export const firstTransport = (protocols: RtspProtocols): Transport => (protocols === 'tcp' ? 'tcp' : 'udp');

/** With udp+tcp, no RTP this long after PLAY over UDP ends the session for TCP; undefined: no such limit. */
export function udpTimeoutFor(transport: Transport, protocols: RtspProtocols, udpTimeout: number | undefined, timeout: number): number | undefined {
  return transport === 'udp' && protocols === 'udp+tcp' ? udpTimeout ?? timeout : undefined;
}

/**
 * With udp+tcp, a UDP session that failed before playing, for a reason TCP may not share (the server
 * refused the transport or answered with an error, or nothing came), is tried again over TCP at once,
 * not counted as a reconnection.
 */
export function udpFailureFallsBack(protocols: RtspProtocols, transport: Transport, error: Error, played: boolean): boolean {
  return (
    protocols === 'udp+tcp' &&
    transport === 'udp' &&
    !played &&
    error instanceof RtspError &&
    (error.kind === 'unsupported' || error.kind === 'status' || error.kind === 'timeout')
  );
}
