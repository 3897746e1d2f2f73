// Run as a child process by wgpu-preprocess.test.ts (bundled with esbuild): a fresh device, then the
// JS thread kept busy (allocating) for 50 ms, then a preprocess checked against the CPU reference.
import { nodeWebGpuDevice } from '../../node/ml/webgpu';
import { preprocessCpu } from '../../src/ml/preprocess-cpu';
import { WgpuPreprocessor } from '../../src/ml/preprocess-wgsl';

const device = await nodeWebGpuDevice();
const t = performance.now();
let junk = 0;
while (performance.now() - t < 50) junk += [performance.now()].length;
const frame = new Uint8Array(64 * 48 * 4).map((_, i) => (i * 37) & 255);
const p = await WgpuPreprocessor.create(device);
const opts = { width: 32, height: 32, resize: 'letterbox' as const };
const gpu = await p.download(p.run('RGBA', 64, 48, frame, opts));
const cpu = preprocessCpu('RGBA', 64, 48, frame, opts).data;
const err = gpu.reduce((m, v, i) => Math.max(m, Math.abs(v - cpu[i])), 0);
if (!(err < 1e-3)) throw new Error(`max error ${err}`);
process.stdout.write(`ok ${junk > 0}\n`);
