import type { Caps } from '../../../src/caps';
import type { Clock } from '../../../src/clock/clock';
import type { ElementReporter } from '../../../src/element';
import { cpuMemory } from '../../../src/memory/memory';
import { PacketFlags, type CpuPacket, type PacketMeta } from '../../../src/packet';
import type { BoundedBuffer } from '../../../src/pipeline/bounded-buffer';
import { AudioDepayloader, type DepayedAudioFrame } from '../../../src/rtp/audio-depayloader';
import { H264Depayloader, type DepayedAccessUnit } from '../../../src/rtp/h264-depayloader';
import type { SdpStream } from '../../../src/rtp/sdp';
import type { RtspSrcCounters } from './counters';
import { PtsTimeline, SenderClock, type SharedTimeline } from './timestamps';

export interface RtspOutputOptions {
  readonly buffer: BoundedBuffer<CpuPacket>;
  readonly caps: Caps;
  readonly clock: Clock;
  /** The pipeline clock less its base time, now. */
  readonly runningTime: () => number;
  /** Access units before end-of-stream; -1: no limit. */
  readonly numBuffers: number;
  readonly counters: RtspSrcCounters;
  readonly report: ElementReporter;
  /** num-buffers reached: the session is to end. */
  readonly onLimit: () => void;
  /** media=all: the timeline the session's streams share (lip sync from the sender reports). */
  readonly shared?: SharedTimeline;
}

/**
 * RTP in order → H.264 access units → stamped packets in the element's buffer. It outlives sessions:
 * one depayloader (after a loss or a new source it waits for an IDR) and one timeline, so that pts go on
 * across reconnections.
 */
export class RtspOutput {
  /** Set on reconnecting: what was lost in between is unknown, so the next unit out is DISCONT. */
  discontNext = false;
  /** Clock time the bytes now being handled were handed to us by the socket (network arrival). */
  arrival = 0;
  readonly timeline: PtsTimeline;
  readonly sender: SenderClock;
  private readonly depay: H264Depayloader;
  private readonly units: DepayedAccessUnit[] = [];
  /** The audio stream's depayloader and its frames' caps (rtspSrc media=audio), once described. */
  private audio: { depay: AudioDepayloader; caps: Caps } | undefined;
  private readonly frames: DepayedAudioFrame[] = [];

  get shared(): SharedTimeline | undefined {
    return this.o.shared;
  }

  /** A unit's pts and capture time: on the shared timeline once its stream's reports map it. */
  private stamp(timestamp: number, epoch: number): { pts: number; captureTime: number } {
    const own = this.timeline.pts(timestamp, epoch);
    const captureTime = this.sender.captureTime(timestamp, this.timeline.clockRate);
    const shared = this.o.shared;
    if (!shared || !this.sender.synced) return { pts: own, captureTime };
    const base = this.o.clock.now() - this.o.runningTime();
    return { pts: shared.pts(captureTime - base, own), captureTime };
  }

  constructor(private readonly o: RtspOutputOptions) {
    this.depay = new H264Depayloader({ onLoss: 'drop-until-idr', counters: o.counters.depay });
    this.timeline = new PtsTimeline(o.runningTime);
    this.sender = new SenderClock(o.clock);
  }

  /** The SDP's stream: payload type, out-of-band parameter sets; returns its clock rate. */
  described(stream: SdpStream): number {
    const a = stream.audio;
    if (a) {
      // A new description (a reconnection) gets a new depayloader: its settings come from this SDP.
      const depay = new AudioDepayloader({
        codec: a.codec,
        payloadType: a.payloadType,
        sizeLength: a.sizeLength,
        indexLength: a.indexLength,
        indexDeltaLength: a.indexDeltaLength,
        frameDuration: a.frameDuration,
      });
      const same = this.audio && this.audio.caps.equals(a.caps);
      this.audio = { depay, caps: same ? this.audio!.caps : a.caps };
      this.timeline.clockRate = a.clockRate;
      this.timeline.followArrival = false;
      return a.clockRate;
    }
    this.depay.setPayloadType(stream.payloadType);
    if (stream.parameterSets.length) this.depay.setParameterSets(stream.parameterSets);
    const r = stream.caps.get('clock-rate');
    this.timeline.clockRate = typeof r === 'number' && r > 0 ? r : 90000;
    return this.timeline.clockRate;
  }

  push(rtp: Uint8Array): void {
    if (this.audio) return this.pushAudio(rtp, this.audio.depay);
    const c = this.depay.counters;
    // Two sums, not a copy of the counters per packet.
    const corruptBefore = c.lost + c.invalid;
    const policyBefore = c.dropped + c.ignored;
    this.depay.push(rtp, this.units);
    const corrupt = c.lost + c.invalid - corruptBefore;
    if (corrupt > 0) this.o.report.drop('corrupt', corrupt);
    const policy = c.dropped + c.ignored - policyBefore;
    if (policy > 0) this.o.report.drop('policy', policy);
    if (this.units.length) this.emit();
  }

  /** The sender left (RTCP BYE): the unit the depayloader holds is complete. */
  flush(): void {
    this.depay.flush(this.units);
    if (this.units.length) this.emit();
  }

  private pushAudio(rtp: Uint8Array, depay: AudioDepayloader): void {
    const c = depay.counters;
    const corruptBefore = c.lost + c.invalid + c.dropped;
    const ignoredBefore = c.ignored;
    depay.push(rtp, this.frames);
    const corrupt = c.lost + c.invalid + c.dropped - corruptBefore;
    if (corrupt > 0) this.o.report.drop('corrupt', corrupt);
    if (c.ignored > ignoredBefore) this.o.report.drop('policy', c.ignored - ignoredBefore);
    if (this.frames.length === 0) return;
    const caps = this.audio!.caps;
    for (const f of this.frames) {
      if (this.full) break;
      const { pts, captureTime } = this.stamp(f.timestamp, f.epoch);
      const flags = PacketFlags.KEYFRAME | (f.discont || this.discontNext ? PacketFlags.DISCONT : 0);
      this.discontNext = false;
      this.o.buffer.push({ caps, pts, dts: pts, duration: undefined, flags, memory: cpuMemory(f.data), meta: { captureTime, receiveTime: this.arrival } });
      this.o.counters.units++;
    }
    this.frames.length = 0;
    if (this.full) this.o.onLimit();
  }

  private get full(): boolean {
    return this.o.numBuffers >= 0 && this.o.counters.units >= this.o.numBuffers;
  }

  private emit(): void {
    const { buffer, caps, counters } = this.o;
    for (const u of this.units) {
      if (this.full) break;
      const { pts, captureTime } = this.stamp(u.timestamp, u.epoch);
      let flags = 0;
      if (u.keyframe) flags |= PacketFlags.KEYFRAME;
      if (u.discont || this.discontNext) flags |= PacketFlags.DISCONT;
      if (u.corrupt) flags |= PacketFlags.CORRUPT;
      this.discontNext = false;
      // receiveTime: when the bytes completing the unit arrived, to tell network from pipeline latency.
      const meta: PacketMeta = { captureTime, receiveTime: this.arrival };
      buffer.push({ caps, pts, dts: undefined, duration: undefined, flags, memory: cpuMemory(u.data), meta });
      counters.units++;
    }
    this.units.length = 0;
    if (this.full) this.o.onLimit();
  }
}
