/**
 * Channel mixing matrices, built as GStreamer's audio-channel-mixer does: a channel whose position the output
 * has goes there; one it lacks is spread to the nearest positions the output has; the matrix is then scaled so
 * that the loudest output row sums to 1 (nothing can clip). So mono → stereo copies, stereo → mono averages,
 * 5.1 → stereo folds centre and rears in at −3 dB and drops the LFE (as FFmpeg's default lfe_mix_level 0).
 */

// GStreamer's channel position bits.
const FL = 0,
  FR = 1,
  FC = 2,
  LFE1 = 3,
  RL = 4,
  RR = 5,
  FLC = 6,
  FRC = 7,
  RC = 8,
  LFE2 = 9,
  SL = 10,
  SR = 11;
/** Pseudo-position of a mono channel (GStreamer's GST_AUDIO_CHANNEL_POSITION_MONO). */
const MONO = -1;
const SQRT1_2 = Math.SQRT1_2;

/** The positions of each channel in buffer order (ascending bits), or undefined when unpositioned. */
export function channelPositions(channels: number, mask: number): number[] | undefined {
  if (channels === 1 && mask === 0) return [MONO];
  if (mask === 0) return undefined;
  const out: number[] = [];
  for (let b = 0; b < 64 && mask > 0; b++, mask = Math.floor(mask / 2)) if (mask % 2) out.push(b);
  return out.length === channels ? out : undefined;
}

const LEFT = [FL, FLC, SL, RL];
const RIGHT = [FR, FRC, SR, RR];
const CENTRE = [FC, RC, MONO];

/** Where a position the output lacks goes: [position, gain] pairs among those the output has. */
function spread(from: number, has: (p: number) => boolean): [number, number][] {
  if (from === LFE1 || from === LFE2) return has(LFE1) ? [[LFE1, 1]] : has(LFE2) ? [[LFE2, 1]] : [];
  const centre = CENTRE.find(has);
  const sides = (side: number[]) => side.find(has);
  if (CENTRE.includes(from)) {
    const l = sides(LEFT);
    const r = sides(RIGHT);
    if (l !== undefined && r !== undefined)
      return [
        [l, SQRT1_2],
        [r, SQRT1_2],
      ];
    return centre !== undefined ? [[centre, 1]] : [];
  }
  const own = LEFT.includes(from) ? LEFT : RIGHT.includes(from) ? RIGHT : undefined;
  const same = own ? sides(own) : undefined;
  if (same !== undefined) return [[same, from === FL || from === FR ? 1 : SQRT1_2]];
  return centre !== undefined ? [[centre, 1]] : [];
}

/**
 * matrix[o][i]: the gain of input channel i in output channel o. Unpositioned channels map by index
 * (extra inputs dropped, extra outputs silent), except into mono, which takes the mean.
 */
export function mixMatrix(inChannels: number, inMask: number, outChannels: number, outMask: number): number[][] {
  const m = Array.from({ length: outChannels }, () => new Array<number>(inChannels).fill(0));
  const pin = channelPositions(inChannels, inMask);
  const pout = channelPositions(outChannels, outMask);
  if (!pin || !pout) {
    for (let o = 0; o < outChannels; o++) for (let i = 0; i < inChannels; i++) m[o][i] = outChannels === 1 ? 1 : i === o ? 1 : 0;
  } else {
    const index = new Map(pout.map((p, o) => [p, o]));
    const has = (p: number) => index.has(p);
    pin.forEach((p, i) => {
      if (has(p)) m[index.get(p)!][i] = 1;
      else for (const [q, g] of spread(p, has)) m[index.get(q)!][i] += g;
    });
  }
  // GStreamer's normalisation: the largest output row sum becomes 1.
  const top = Math.max(...m.map((row) => row.reduce((s, g) => s + Math.abs(g), 0)));
  if (top > 0) for (const row of m) for (let i = 0; i < row.length; i++) row[i] /= top;
  return m;
}

/** Whether the matrix only copies channels (each output is one input at gain 1). */
export function isIdentityMatrix(m: readonly (readonly number[])[]): boolean {
  return m.length === m[0]?.length && m.every((row, o) => row.every((g, i) => g === (i === o ? 1 : 0)));
}

/** Applies a matrix to float planes. */
export function mixPlanes(planes: readonly Float64Array[], m: readonly (readonly number[])[]): Float64Array[] {
  const frames = planes[0]?.length ?? 0;
  return m.map((row) => {
    const out = new Float64Array(frames);
    row.forEach((g, i) => {
      if (g === 0) return;
      const p = planes[i];
      for (let k = 0; k < frames; k++) out[k] += g * p[k];
    });
    return out;
  });
}
