/**
 * glass2glass/marbles: marble testing of pipelines over virtual time, as RxJS's TestScheduler over
 * packets. Play diagrams with `marbleSource`, record with `marbleSink`, run with `runMarbles`, and
 * assert on the log: `expect(toDiagram(log)).toBe('-a-b-(cd)-|')`. Test one element alone with `harness`
 * (GStreamer's GstHarness): push packets in, pull them out, watch its demand, stats and teardown.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_FRAME,
  eventChar,
  frameToTime,
  isValueChar,
  MarbleSyntaxError,
  parseDiagram,
  printDiagram,
  timeToFrame,
  type Diagram,
  type MarbleEvent,
  type MarbleKind,
} from './diagram';
export {
  labelOf,
  type DemandEntry,
  type ElementLog,
  type LogMessage,
  type MarbleEntry,
  type MarbleLog,
  type MarbleOutcome,
  type SinkLog,
  type SourceLog,
} from './log';
export { marbleSource, type MarblePacketInit, type MarbleSourceOptions, type MarbleValue } from './source';
export { marbleSink, type MarbleSinkOptions } from './sink';
export { MarbleStallError, runMarbles, type RunMarblesOptions } from './run';
export {
  harness,
  HarnessStallError,
  HarnessTeardownError,
  type Harness,
  type HarnessElementLog,
  type HarnessOptions,
  type HarnessPacketInit,
  type HarnessTeardown,
} from './harness';
export {
  demand,
  eventsOf,
  expectClosedOnce,
  expectDiagram,
  expectError,
  expectMaxAhead,
  expectTeardown,
  expectValues,
  MarbleAssertionError,
  maxAhead,
  sinkOf,
  sourceOf,
  teardownDiagram,
  teardownDiagrams,
  timesOf,
  toDiagram,
  valuesOf,
  type DemandPoint,
  type ErrorMatch,
  type PacketMatch,
  type SelectOptions,
} from './assert';
