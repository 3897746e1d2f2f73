/**
 * A strict consumer of the packed package (scripts/test-package.sh compiles it in a fresh project with
 * skipLibCheck false, under NodeNext and bundler resolution, then runs it). Each check throws on failure.
 */
import { Caps, caps, G2gError, h264, mp4, pipe, parseLaunch, rtp, rtsp, type Packet, type PipelineStats } from 'glass2glass';
import { fakeSink, fileSink, fileSrc, h264Parse, mp4Demux, mp4Mux, videoTestSrc } from 'glass2glass/operators';
import { h264Dec, h264Enc, loadNative, NativeAddonError, platformTriple } from 'glass2glass/node';
import { runMarbles } from 'glass2glass/marbles';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`consumer check failed: ${what}`);
  console.log(`ok - ${what}`);
}

async function rejectsWith(p: () => Promise<unknown>, code: string, text: RegExp, what: string): Promise<void> {
  try {
    await p();
  } catch (e) {
    check(e instanceof G2gError && e.code === code && text.test(e.message), `${what}: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  check(false, `${what}: did not fail`);
}

// Namespaces are usable as types and values (the bundled declarations once broke both).
const au: h264.AccessUnit | undefined = undefined;
const box: mp4.Box | undefined = undefined;
const rtpPacket: rtp.RtpPacket | undefined = undefined;
check(au === undefined && box === undefined && rtpPacket === undefined && typeof rtsp === 'object', 'h264/mp4/rtp/rtsp namespaces type-check');
check(Caps.parse('video/x-raw, format=(string)I420').toString() === 'video/x-raw, format=(string)I420', 'Caps.parse');
try {
  caps('video/x-raw, format=I420');
  check(false, 'caps() given a caps string fails');
} catch (e) {
  check(e instanceof G2gError && /Caps\.parse/.test(e.message), 'caps() given a caps string names Caps.parse');
}
check(typeof runMarbles === 'function', 'glass2glass/marbles loads');
check(parseLaunch('fakeSrc num-buffers=3 ! fakeSink').elements.length === 2, 'parseLaunch');

const dir = mkdtempSync(join(tmpdir(), 'g2g-consumer-'));
try {
  loadNative();
  check(platformTriple() === 'linux-x64-gnu', 'the prebuilt native addon loads');

  // fileSink with no setup: the `node` export condition installed the Node file opener.
  const out = join(dir, 'pattern.mp4');
  const stats: PipelineStats = await pipe(
    videoTestSrc({ numBuffers: 30, width: 320, height: 240, format: 'I420', pattern: 'ball' }),
    h264Enc({ tune: 'zerolatency' }),
    h264Parse(),
    mp4Mux(),
    fileSink({ location: out })
  ).run();
  check(
    existsSync(out) && statSync(out).size > 1000 && stats.elements.length > 0,
    `videoTestSrc → h264Enc → mp4Mux → fileSink wrote ${statSync(out).size} bytes`
  );

  let frames = 0;
  let width = 0;
  await pipe(
    fileSrc({ location: out }),
    mp4Demux(),
    h264Dec(),
    fakeSink({
      onPacket: (p: Packet) => {
        frames++;
        width = Number(p.caps.get('width') ?? width);
      },
    })
  ).run();
  check(frames === 30 && width === 320, `fileSrc → mp4Demux → h264Dec decoded ${frames}/30 frames of width ${width}`);

  // Optional peers that are not installed: the error names what to install.
  // Untyped on purpose: interop's declarations need rxjs's and ix's, which this app has not installed.
  const interop: string = 'glass2glass/interop';
  await rejectsWith(() => import(interop), 'MISSING_DEPENDENCY', /npm install (rxjs|ix)/, 'glass2glass/interop without rxjs/ix');
  await rejectsWith(
    async () => (await import('glass2glass/ml')).loadOrtModel(join(dir, 'none.onnx')),
    'MISSING_DEPENDENCY',
    /npm install onnxruntime-node/,
    'ort without onnxruntime-node'
  );
  await rejectsWith(async () => (await import('glass2glass/ml')).nodeWebGpuDevice(), 'MISSING_DEPENDENCY', /npm install webgpu/, 'WebGPU without webgpu');
  check(new NativeAddonError('/x', 'file not found').code === 'NATIVE_ADDON', 'NativeAddonError is exported');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
