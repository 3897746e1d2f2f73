/**
 * A live RTSP camera for the examples' tests, in process: `g2g serve --test-pattern` at a smaller size
 * (videoTestSrc is-live ! h264Enc ! h264Parse ! rtspServerSink wait-for-client=false), on a free port.
 */
import { pipe } from 'glass2glass';
import { h264Enc, rtspServerSink } from 'glass2glass/node';
import { h264Parse, videoTestSrc } from 'glass2glass/operators';

export const CAMERA = { width: 320, height: 240, fps: 30 } as const;

export interface TestCamera {
  readonly url: string;
  /** Ends the stream (clients get BYE) and closes the server; safe to call twice. */
  stop(): Promise<void>;
}

export async function startTestCamera(path = '/live'): Promise<TestCamera> {
  let onUrl!: (url: string) => void;
  const listening = new Promise<string>((resolve) => (onUrl = resolve));
  const running = pipe(
    videoTestSrc({ isLive: true, pattern: 'ball', width: CAMERA.width, height: CAMERA.height, framerate: `${CAMERA.fps}/1` }),
    // A keyframe every half second: a client that joins mid-stream starts soon.
    h264Enc({ tune: 'zerolatency', speedPreset: 'ultrafast', keyIntMax: 15 }),
    h264Parse(),
    rtspServerSink({ port: 0, path, waitForClient: false, onListening: ({ url }) => onUrl(url) })
  ).start({ profile: 'live' });
  const stop = async () => {
    running.eos();
    await running.done.catch(() => undefined);
  };
  try {
    const url = await Promise.race([listening, running.done.then(() => Promise.reject(new Error('the test camera ended before listening')))]);
    return { url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
