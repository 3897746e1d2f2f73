/**
 * TCP connections for RTSP: a thin wrapper over node:net that only moves bytes. Protocol decisions live in
 * the sans-IO state machines (src/rtsp); this connects, writes, delivers what arrives and closes, once.
 */
import { connect, type Socket } from 'node:net';

export interface TcpConnectOptions {
  readonly host: string;
  readonly port: number;
  /** Give up connecting after this many ms (default 5000). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onData: (data: Uint8Array) => void;
  /** The connection ended (peer closed, reset or error); called once, never after close(). */
  readonly onClose: (error?: Error) => void;
}

export interface TcpConnection {
  readonly localAddress: string;
  readonly remoteAddress: string;
  write(data: Uint8Array): void;
  /** Closes (idempotent); resolves once the handle is released. */
  close(): Promise<void>;
}

export function connectTcp(options: TcpConnectOptions): Promise<TcpConnection> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: options.host, port: options.port, noDelay: true });
    let state: 'connecting' | 'open' | 'closed' = 'connecting';
    const released = new Promise<void>((r) => socket.once('close', () => r()));
    const fail = (e: Error) => {
      if (state !== 'connecting') return;
      state = 'closed';
      cleanup();
      socket.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error(`connecting to ${options.host}:${options.port} timed out`)), options.timeoutMs ?? 5000);
    const onAbort = () => fail(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort);
    const cleanup = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    if (options.signal?.aborted) return onAbort();
    socket.on('error', (e) => {
      if (state === 'connecting') return fail(e);
      if (state === 'open') {
        state = 'closed';
        options.onClose(e);
      }
    });
    socket.on('close', () => {
      if (state === 'open') {
        state = 'closed';
        options.onClose();
      }
    });
    socket.on('data', (b: Buffer) => {
      if (state === 'open') options.onData(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    });
    socket.once('connect', () => {
      if (state !== 'connecting') return;
      state = 'open';
      cleanup();
      resolve({
        localAddress: socket.localAddress ?? '',
        remoteAddress: socket.remoteAddress ?? '',
        write(data) {
          if (state === 'open') socket.write(data);
        },
        async close() {
          state = 'closed';
          socket.destroy();
          await released;
        },
      });
    });
  });
}
