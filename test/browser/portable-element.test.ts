import { describe, expect, it } from 'vitest';
import { nodeWebGpuDevice } from '../../node/ml/webgpu';
import { wgpuPreprocess } from '../../node/ml/wgpu-preprocess';
import { fakeSink } from '../../operators/fake-sink';
import { videoTestSrc } from '../../operators/video-test-src';
import { navigatorGpuDevice } from '../../src/ml/navigator-gpu';
import { tensorData, type TensorPacket } from '../../src/ml/tensor';
import { gpuPreprocess } from '../../src/ml/wgpu-preprocess-element';
import type { Transform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import type { CpuMemory } from '../../src/memory/memory';
import { pipe } from '../../src/pipeline';
import { openBrowserHarness } from './harness';
import { requirePeer } from '../peers';

requirePeer('webgpu');

async function tensors(pre: Transform<Packet<CpuMemory>, TensorPacket>): Promise<{ caps: string[]; data: Float32Array[]; copies: number }> {
  const out: TensorPacket[] = [];
  const stats = await pipe(videoTestSrc({ format: 'I420', width: 96, height: 64, numBuffers: 3, pattern: 'ball' }), pre, fakeSink<TensorPacket>({ onPacket: (t) => void out.push(t) })).run({ profile: 'throughput' });
  return { caps: out.map((t) => t.caps.toString()), data: out.map((t) => tensorData(t).slice()), copies: stats.copies.count };
}

describe('gpuPreprocess (src/ml, device injected) in Node', () => {
  it("on Dawn's device gives the Node element's tensors bit for bit, with the same caps and ledger", async () => {
    const o = { width: 48, height: 40, resize: 'letterbox' as const, padValue: 114, download: true };
    const portable = await tensors(gpuPreprocess({ ...o, device: nodeWebGpuDevice }));
    const node = await tensors(wgpuPreprocess(o));
    expect(portable.caps).toEqual(node.caps);
    expect(portable.copies).toBe(3);
    expect(portable.copies).toBe(node.copies);
    portable.data.forEach((d, i) => expect(Buffer.from(d.buffer).equals(Buffer.from(node.data[i].buffer))).toBe(true));
  });

  it('navigatorGpuDevice rejects with the reason where there is no navigator.gpu (Node)', async () => {
    await expect(navigatorGpuDevice()).rejects.toThrow(/navigator\.gpu is missing/);
  });
});

describe('browser harness', () => {
  it('fails, not skips, without Chromium', async () => {
    await expect(openBrowserHarness('/nonexistent/chromium')).rejects.toThrow(/Chromium not found at \/nonexistent\/chromium: install/);
  });
});
