/**
 * Type tests for `pipe`: checked by `tsc --noEmit` (part of `npm test`). Each `@ts-expect-error` line must
 * fail to compile; if a change makes a mismatched chain compile, tsc reports the unused directive.
 */
import { Caps, defineSink, defineSource, defineTransform, EOS, pipe, Pipeline, type CpuMemory, type Packet, type Sink, type Source, type Transform, type WebGpuBufferMemory } from '../../src';
import { fakeSink, identity, queue } from '../../operators';

type CpuPacket = Packet<CpuMemory>;
type GpuPacket = Packet<WebGpuBufferMemory>;

declare const cpuSource: Source<CpuPacket>;
declare const gpuSink: Sink<GpuPacket>;
declare const cpuSink: Sink<CpuPacket>;
declare const upload: Transform<CpuPacket, GpuPacket>;
declare const download: Transform<GpuPacket, CpuPacket>;

// Matching chains compile and have the right kinds.
export const p1: Pipeline = pipe(cpuSource, upload, gpuSink);
export const p2: Pipeline = pipe(cpuSource, upload, download, cpuSink);
export const p3: Pipeline = pipe(cpuSource, identity(), queue(), upload, identity(), gpuSink);
export const s1: Source<GpuPacket> = pipe(cpuSource, upload);
export const t1: Transform<CpuPacket, CpuPacket> = pipe(upload, download);
export const k1: Sink<CpuPacket> = pipe(upload, gpuSink);
export const p4: Pipeline = pipe(cpuSource, fakeSink());

// @ts-expect-error CPU packets cannot go into a GPU sink.
pipe(cpuSource, gpuSink);
// @ts-expect-error the transform wants GPU packets, the source makes CPU ones.
pipe(cpuSource, download, cpuSink);
// @ts-expect-error the output of upload is GPU memory, the sink takes CPU memory.
pipe(cpuSource, upload, cpuSink);
// @ts-expect-error a mismatch in the middle of a longer chain.
pipe(cpuSource, identity(), upload, upload, gpuSink);
// @ts-expect-error a source cannot follow a transform.
pipe(upload, cpuSource);
// @ts-expect-error a Source is not a Pipeline.
export const bad: Pipeline = pipe(cpuSource, upload);

// define* keep the element's packet types.
export const src: Source<CpuPacket> = defineSource<CpuPacket>({ factory: 'x', props: {}, srcCaps: Caps.any(), open: () => ({ pull: () => EOS }) });
export const xf: Transform<CpuPacket, GpuPacket> = defineTransform<CpuPacket, GpuPacket>({ factory: 'y', props: {}, sinkCaps: Caps.any(), srcCaps: Caps.any(), open: () => ({ pull: () => EOS }) });
export const sk: Sink<GpuPacket> = defineSink<GpuPacket>({ factory: 'z', props: {}, sinkCaps: Caps.any(), open: () => ({ write: () => undefined }) });
export const p5: Pipeline = pipe(src, xf, sk);
