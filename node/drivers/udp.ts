/**
 * UDP sockets for the RTP elements: thin wrappers over node:dgram that only move datagrams. Everything
 * that decides (packetising, reports, pacing) lives in the runtime-agnostic code; these open, send,
 * receive and close, exactly once on every path.
 */
import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Sends in flight before `send` makes the caller wait (the kernel buffer is full or the loop is busy). */
const MAX_IN_FLIGHT = 256;

function isMulticastAddress(address: string): boolean {
  if (isIP(address) === 4) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return /^ff[0-9a-f]{2}:/i.test(address);
}

/** Resolves a host name once (sends then go to the address, with no lookup per datagram). */
export async function resolveHost(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const family = isIP(host);
  if (family) return { address: host, family: family as 4 | 6 };
  const r = await lookup(host);
  return { address: r.address, family: r.family === 6 ? 6 : 4 };
}

function closeSocket(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      // Already closed (ERR_SOCKET_DGRAM_NOT_RUNNING): nothing left to release.
      resolve();
    }
  });
}

function bindSocket(s: Socket, port: number, address: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      s.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      s.off('error', onError);
      resolve();
    };
    s.once('error', onError);
    s.once('listening', onListening);
    s.bind({ port, address, exclusive: true });
  });
}

export interface UdpSenderOptions {
  readonly host: string;
  /** Unicast TTL (hops) or, for a multicast destination, the multicast TTL. */
  readonly ttl?: number;
  /** Local address of the interface to send multicast from. */
  readonly multicastIface?: string;
  /** Receive our own multicast (default true, as GStreamer's loop). */
  readonly multicastLoop?: boolean;
  /** Local port to send from (default: any free one). */
  readonly bindPort?: number;
  readonly bindAddress?: string;
  /** SO_SNDBUF in bytes. */
  readonly bufferSize?: number;
}

export interface UdpSender {
  /** The destination address (resolved). */
  readonly address: string;
  readonly localPort: number;
  /** Sends one datagram to `port`; answers a promise only when too many sends are in flight. */
  send(data: Uint8Array, port: number): void | Promise<void>;
  /** Waits until every send so far has completed; rejects with the first send error. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function openUdpSender(options: UdpSenderOptions): Promise<UdpSender> {
  const { address, family } = await resolveHost(options.host);
  const type: SocketType = family === 6 ? 'udp6' : 'udp4';
  const socket = createSocket({ type });
  // A send error is raised at the next call; an 'error' event without a listener would crash the process.
  let error: unknown;
  socket.on('error', (e) => (error ??= e));
  let closed = false;
  try {
    await bindSocket(socket, options.bindPort ?? 0, options.bindAddress);
    if (isMulticastAddress(address)) {
      if (options.ttl !== undefined) socket.setMulticastTTL(options.ttl);
      if (options.multicastIface) socket.setMulticastInterface(options.multicastIface);
      socket.setMulticastLoopback(options.multicastLoop ?? true);
    } else if (options.ttl !== undefined) {
      socket.setTTL(options.ttl);
    }
    if (options.bufferSize) socket.setSendBufferSize(options.bufferSize);
  } catch (e) {
    await closeSocket(socket);
    throw e;
  }
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const done = (e: Error | null) => {
    if (e) error ??= e;
    inFlight--;
    if (inFlight < MAX_IN_FLIGHT / 2 || inFlight === 0) wake();
  };
  const sender: UdpSender = {
    address,
    localPort: socket.address().port,
    send(data, port) {
      if (error !== undefined) throw error;
      if (closed) throw new Error('UDP sender used after close');
      inFlight++;
      socket.send(data, port, address, done);
      if (inFlight < MAX_IN_FLIGHT) return;
      return new Promise<void>((resolve) => waiters.push(resolve)).then(() => {
        if (error !== undefined) throw error;
      });
    },
    async flush() {
      while (inFlight > 0) await new Promise<void>((resolve) => waiters.push(resolve));
      if (error !== undefined) throw error;
    },
    async close() {
      if (closed) return;
      closed = true;
      await closeSocket(socket);
      wake();
    },
  };
  return sender;
}

export interface UdpReceiverOptions {
  /** Port to bind; 0 for any free one (see `port` of the result). */
  readonly port: number;
  /** Local address to bind (default: all interfaces, or the group's wildcard for multicast). */
  readonly address?: string;
  /** Multicast group to join (binds with SO_REUSEADDR so that several receivers can share it). */
  readonly multicastGroup?: string;
  /** Local address of the interface to join the group on. */
  readonly multicastIface?: string;
  /** SO_RCVBUF in bytes: headroom for the bursts of an IDR frame. */
  readonly bufferSize?: number;
  readonly onMessage: (data: Uint8Array) => void;
  readonly onError?: (e: Error) => void;
}

export interface UdpReceiver {
  readonly port: number;
  close(): Promise<void>;
}

export async function openUdpReceiver(options: UdpReceiverOptions): Promise<UdpReceiver> {
  const group = options.multicastGroup;
  const v6 = (group !== undefined && isIP(group) === 6) || (options.address !== undefined && isIP(options.address) === 6);
  const socket = createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: group !== undefined });
  let closed = false;
  socket.on('error', (e) => options.onError?.(e));
  socket.on('message', (msg: Buffer) => {
    // A plain Uint8Array view of the datagram Node allocated for us: no copy.
    if (!closed) options.onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => {
        socket.off('listening', onListening);
        reject(e);
      };
      const onListening = () => {
        socket.off('error', onError);
        resolve();
      };
      socket.once('error', onError);
      socket.once('listening', onListening);
      // exclusive: never share the handle with cluster workers; only multicast sockets share the port (reuseAddr).
      socket.bind({ port: options.port, address: options.address ?? (v6 ? '::' : '0.0.0.0'), exclusive: true });
    });
    if (group !== undefined) socket.addMembership(group, options.multicastIface);
    if (options.bufferSize) socket.setRecvBufferSize(options.bufferSize);
  } catch (e) {
    closed = true;
    await closeSocket(socket);
    throw e;
  }
  return {
    port: socket.address().port,
    async close() {
      if (closed) return;
      closed = true;
      await closeSocket(socket);
    },
  };
}
