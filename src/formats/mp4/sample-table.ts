import { Mp4Error } from './errors';
import { child, type Box, type ContainerBox, type TrexBox, type TrunBox, type TfhdBox, type TfdtBox, SAMPLE_IS_NON_SYNC } from './isobmff-boxes';

/** Samples of one track in decode order, as columns; `next` is the first not yet handed out. */
export interface SampleBatch {
  readonly n: number;
  next: number;
  /** Absolute file offsets. */
  readonly offsets: Float64Array;
  readonly sizes: Uint32Array;
  /** Decode times in track ticks. */
  readonly dts: Float64Array;
  readonly durations: Uint32Array;
  readonly cto: Int32Array;
  readonly sync: Uint8Array;
}

/** More samples than any real track has; a garbage table claiming more is refused before allocating. */
export const MAX_SAMPLES = 1 << 25;

/** Expands a progressive sample table (stbl) into columns. */
export function expandSampleTable(stbl: ContainerBox): SampleBatch | Mp4Error {
  const bad = (why: string): Mp4Error => new Mp4Error('invalid-data', `sample table: ${why}`);
  const stsz = child(stbl, 'stsz') ?? child(stbl, 'stz2');
  const stts = child(stbl, 'stts');
  const stsc = child(stbl, 'stsc');
  const stco = child(stbl, 'stco') ?? child(stbl, 'co64');
  const ctts = child(stbl, 'ctts');
  const stss = child(stbl, 'stss');
  if (!stsz) return empty();
  const n = stsz.sampleCount;
  if (n === 0) return empty();
  if (n > MAX_SAMPLES) return new Mp4Error('too-large', `sample table of ${n} samples`);
  if (!stts || !stsc || !stco) return bad(`missing ${!stts ? 'stts' : !stsc ? 'stsc' : 'stco/co64'}`);
  const sizes = stsz.entrySizes ? stsz.entrySizes : new Uint32Array(n).fill(stsz.sampleSize);
  const dts = new Float64Array(n);
  const durations = new Uint32Array(n);
  let i = 0;
  let t = 0;
  for (let e = 0; e < stts.sampleCounts.length && i < n; e++) {
    const k = Math.min(stts.sampleCounts[e], n - i);
    const d = stts.sampleDeltas[e];
    for (let j = 0; j < k; j++, i++) {
      dts[i] = t;
      durations[i] = d;
      t += d;
    }
  }
  if (i < n) return bad(`stts covers ${i} of ${n} samples`);
  const cto = new Int32Array(n);
  if (ctts) {
    i = 0;
    for (let e = 0; e < ctts.sampleCounts.length && i < n; e++) {
      const k = Math.min(ctts.sampleCounts[e], n - i);
      cto.fill(ctts.sampleOffsets[e], i, i + k);
      i += k;
    }
  }
  const sync = new Uint8Array(n);
  if (stss) {
    for (let s = 0; s < stss.sampleNumbers.length; s++) {
      const k = stss.sampleNumbers[s];
      if (k >= 1 && k <= n) sync[k - 1] = 1;
    }
  } else {
    sync.fill(1);
  }
  const offsets = new Float64Array(n);
  const chunks = stco.chunkOffsets;
  const { firstChunk, samplesPerChunk } = stsc;
  if (firstChunk.length === 0 || firstChunk[0] !== 1) return bad('stsc does not start at chunk 1');
  i = 0;
  for (let e = 0; e < firstChunk.length && i < n; e++) {
    const from = firstChunk[e];
    const to = e + 1 < firstChunk.length ? firstChunk[e + 1] : chunks.length + 1;
    if (to < from) return bad('stsc chunk numbers decrease');
    for (let c = from; c < to && i < n; c++) {
      if (c > chunks.length) return bad(`stsc refers to chunk ${c} of ${chunks.length}`);
      let off = chunks[c - 1];
      const k = Math.min(samplesPerChunk[e], n - i);
      for (let j = 0; j < k; j++, i++) {
        offsets[i] = off;
        off += sizes[i];
      }
    }
  }
  if (i < n) return bad(`chunks hold ${i} of ${n} samples`);
  return { n, next: 0, offsets, sizes, dts, durations, cto, sync };
}

function empty(): SampleBatch {
  return {
    n: 0,
    next: 0,
    offsets: new Float64Array(0),
    sizes: new Uint32Array(0),
    dts: new Float64Array(0),
    durations: new Uint32Array(0),
    cto: new Int32Array(0),
    sync: new Uint8Array(0),
  };
}

export interface FragmentSamples {
  /** Samples of the wanted track, one batch per traf of it (usually one). */
  readonly batches: readonly SampleBatch[];
  /** Decode time (ticks) where the wanted track's samples end, for the next fragment without tfdt. */
  readonly nextDecodeTime: number;
}

/**
 * Expands the wanted track's samples of a movie fragment (ISO/IEC 14496-12 8.8), applying the default
 * chain (trun → tfhd → trex) and the base-data-offset rules: explicit base, default-base-is-moof, or else
 * the moof for the first traf and the end of the previous traf's data for the others. `skip` are damaged
 * trafs of other tracks: passed over, and where their data ends is unknown after them.
 */
export function expandFragment(
  moof: ContainerBox,
  moofStart: number,
  trackId: number,
  trex: ReadonlyMap<number, TrexBox>,
  decodeTime: number,
  skip?: ReadonlySet<Box>
): FragmentSamples | Mp4Error {
  const bad = (why: string): Mp4Error => new Mp4Error('invalid-data', `movie fragment: ${why}`, moofStart);
  let prevEnd: number | undefined = moofStart;
  const batches: SampleBatch[] = [];
  let nextDecodeTime = decodeTime;
  let trafIndex = 0;
  for (const traf of moof.children) {
    if (traf.type !== 'traf') continue;
    if (skip?.has(traf)) {
      trafIndex++;
      prevEnd = undefined;
      continue;
    }
    const tfhd = child(traf, 'tfhd') as TfhdBox | undefined;
    if (!tfhd) return bad('traf without tfhd');
    const defaults = trex.get(tfhd.trackId);
    const base: number | undefined = tfhd.baseDataOffset ?? (tfhd.defaultBaseIsMoof || trafIndex === 0 ? moofStart : prevEnd);
    trafIndex++;
    if (base === undefined) {
      if (tfhd.trackId === trackId) return bad(`track ${trackId}'s data follows a damaged traf and has no base offset of its own: it cannot be located`);
      continue;
    }
    const defDuration = tfhd.defaultSampleDuration ?? defaults?.defaultSampleDuration ?? 0;
    const defSize = tfhd.defaultSampleSize ?? defaults?.defaultSampleSize ?? 0;
    const defFlags = tfhd.defaultSampleFlags ?? defaults?.defaultSampleFlags ?? 0;
    const runs = traf.children.filter((b): b is TrunBox => b.type === 'trun');
    const wanted = tfhd.trackId === trackId;
    let total = 0;
    for (const r of runs) total += r.sampleCount;
    if (wanted && total > MAX_SAMPLES) return new Mp4Error('too-large', `fragment of ${total} samples`, moofStart);
    const cols = wanted
      ? {
          offsets: new Float64Array(total),
          sizes: new Uint32Array(total),
          dts: new Float64Array(total),
          durations: new Uint32Array(total),
          cto: new Int32Array(total),
          sync: new Uint8Array(total),
        }
      : undefined;
    const tfdt = child(traf, 'tfdt') as TfdtBox | undefined;
    let t = tfdt ? tfdt.baseMediaDecodeTime : wanted ? nextDecodeTime : 0;
    let cursor: number = base;
    let k = 0;
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r];
      let off = run.dataOffset !== undefined ? base + run.dataOffset : cursor;
      if (off < 0) return bad(`data offset before the start of the file`);
      for (let i = 0; i < run.sampleCount; i++) {
        const size = run.sizes ? run.sizes[i] : defSize;
        if (cols) {
          const d = run.durations ? run.durations[i] : defDuration;
          const f = run.flags ? run.flags[i] : i === 0 && run.firstSampleFlags !== undefined ? run.firstSampleFlags : defFlags;
          cols.offsets[k] = off;
          cols.sizes[k] = size;
          cols.dts[k] = t;
          cols.durations[k] = d;
          cols.cto[k] = run.compositionOffsets ? run.compositionOffsets[i] : 0;
          cols.sync[k] = f & SAMPLE_IS_NON_SYNC ? 0 : 1;
          t += d;
          k++;
        }
        off += size;
      }
      cursor = off;
    }
    prevEnd = cursor;
    if (cols) {
      nextDecodeTime = t;
      if (total > 0) batches.push({ n: total, next: 0, ...cols });
    }
  }
  return { batches, nextDecodeTime };
}
