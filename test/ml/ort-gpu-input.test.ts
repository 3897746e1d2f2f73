/**
 * Pins what onnxruntime-node 1.30 does with GPU-resident inputs, which decides that wgpuPreprocess's
 * WebGPU buffers reach ort through a download (DESIGN: ML, "ort inputs from GPU memory"). If this starts
 * failing, ort may accept our buffers: revisit node/ml/ort.ts.
 */
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { gutenyeOcrModels } from '../../node/ml/pp-ocr';
import { nodeWebGpuDevice } from '../../node/ml/webgpu';
import { requirePeer } from '../peers';

requirePeer('webgpu', 'onnxruntime');

describe('onnxruntime-node 1.30 and WebGPU buffers', () => {
  it('has the WebGPU EP, but refuses a Dawn GPUBuffer of ours as a gpu-buffer input', async () => {
    const dims = [1, 3, 48, 192];
    const bytes = 3 * 48 * 192 * 4;
    const session = await ortNode.InferenceSession.create(gutenyeOcrModels().classifierPath!, { executionProviders: ['webgpu'] });
    try {
      const device = await nodeWebGpuDevice();
      // STORAGE | COPY_SRC | COPY_DST (spec values; Node has no GPUBufferUsage global).
      const buffer = device.createBuffer({ size: bytes, usage: 0x80 | 0x4 | 0x8 });
      try {
        // The JS side takes any object with the GPUBuffer shape…
        const t = ortNode.Tensor.fromGpuBuffer(buffer as never, { dataType: 'float32', dims });
        expect(t.location).toBe('gpu-buffer');
        // …but the binding wants an External owned by ort (an output of its own device), and nothing else.
        await expect(session.run({ [session.inputNames[0]]: t })).rejects.toThrow(/gpuBuffer must be an external object/);
      } finally {
        buffer.destroy();
      }
    } finally {
      await session.release();
    }
  }, 60_000);
});
