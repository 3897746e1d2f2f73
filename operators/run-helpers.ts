import type { Operator, Sink, Source, Transform } from '../src/operator';
import type { Packet } from '../src/packet';
import { merge } from './merge';
import { tee, type BranchPolicy } from './tee';
import { compose, Pipeline } from '../src/pipeline/pipeline';
import type { RunOptions } from '../src/pipeline/run';
import type { PipelineStats } from '../src/pipeline/stats';

/** The seed's shapes, as thin named helpers over `pipe`. */
export function runSourceTransformSink<A extends Packet, B extends Packet>(
  source: Source<A>,
  transform: Transform<A, B>,
  sink: Sink<B>,
  options?: RunOptions,
): Promise<PipelineStats> {
  return new Pipeline([...source.elements, ...transform.elements, ...sink.elements]).run(options);
}

/** Source → any number of transforms → sink; types are checked per hop by `pipe`, here at run time. */
export function runLinearChain(source: Source<any>, transforms: readonly Transform<any, any>[], sink: Sink<any>, options?: RunOptions): Promise<PipelineStats> {
  const p = compose([source, ...transforms, sink] as Operator[]);
  return (p as Pipeline).run(options);
}

/** One source to several branches (a tee), each with its policy: 'block' (lossless) or 'leak'. */
export function runSourceFanout<A extends Packet>(
  source: Source<A>,
  branches: readonly Sink<A>[],
  fanout: { policy?: BranchPolicy | readonly BranchPolicy[]; maxSizeBuffers?: number } = {},
  options?: RunOptions,
): Promise<PipelineStats> {
  return new Pipeline([...source.elements, ...tee({ branches, ...fanout }).elements]).run(options);
}

/** N inputs merged by timestamp into one sink (a muxer's shape). */
export function runMuxerSink<A extends Packet>(inputs: readonly Source<A>[], sink: Sink<A>, options?: RunOptions): Promise<PipelineStats> {
  return new Pipeline([...merge(inputs).elements, ...sink.elements]).run(options);
}
