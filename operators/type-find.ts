import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { EOS, type Pulled, type Reader } from '../src/element';
import { defineTransform, type Transform } from '../src/operator';
import type { Packet } from '../src/packet';
import { queuedReader } from '../src/reader';
import { findType, kindsAccepted, TYPEFIND_BYTES, TYPES, UnsupportedTypeError, type TypeFound } from '../src/typefind';

const SINK_CAPS = Caps.parse('application/octet-stream');
/** Everything a finder can name; a found stream's caps may add fields (packetsize, mpegversion). */
const SRC_CAPS = Object.values(TYPES).reduce((acc, t) => acc.union(t.caps), Caps.empty());

export const TYPE_FIND = defineElement({
  name: 'typeFind',
  kind: 'transform',
  description:
    'Identifies a byte stream from its first bytes (MP4, QuickTime/MOV, H.264 or H.265 Annex B, MPEG-TS, Matroska/WebM, AAC ADTS) and stamps its caps on it (GStreamer typefind)',
  caps: { sink: SINK_CAPS, src: SRC_CAPS },
  notes: `Holds the first packets until it has ${TYPEFIND_BYTES} bytes (or the stream ends), identifies them, then hands them and every later packet on unchanged but for their caps (one Caps object). A stream nothing recognises, or one that what follows cannot take, fails before any packet leaves, naming the format and the formats that would be taken.`,
  properties: {
    minimum: prop.uint({
      default: 1,
      min: 1,
      max: 100,
      doc: "Least probability to accept a finding, on GStreamer's scale (100: certain, 50: possible)",
    }),
    forceCaps: prop.caps({
      doc: 'Caps to stamp without looking at the bytes (GStreamer force-caps)',
    }),
  },
});

export type TypeFindOptions = ElementOptions<typeof TYPE_FIND>;

/**
 * The first `n` bytes of the held packets: a view when the first packet has them all, else a scratch copy of
 * at most `n` bytes to look at, never handed on (not a payload copy: not in the ledger).
 */
function headOf(held: readonly Packet[], n: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let got = 0;
  for (const p of held) {
    if (p.memory.domain !== 'cpu' || got >= n) continue;
    const d = p.memory.data;
    parts.push(d.subarray(0, n - got));
    got += Math.min(d.length, n - got);
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(got);
  let off = 0;
  for (const d of parts) {
    out.set(d, off);
    off += d.length;
  }
  return out;
}

/**
 * GStreamer's typefind element: bytes of unknown format in, the same bytes out with caps that say what
 * they are (video/quicktime, video/x-h264 stream-format=byte-stream, video/mpegts, …), found by
 * `findType` (src/typefind) in the first TYPEFIND_BYTES. Downstream negotiates with what it accepts; the
 * stream, once identified, must be one of those, or the run fails with an UnsupportedTypeError before
 * anything leaves this element ("the input is MPEG-TS, which glass2glass cannot demux yet; supported:
 * MP4/MOV, H.264 Annex B"), instead of a parser reading a container as garbage.
 */
export const typeFind = TYPE_FIND.implement((options): Transform<Packet, Packet> => {
  const { minimum, forceCaps } = options;
  return defineTransform<Packet, Packet>({
    sinkCaps: SINK_CAPS,
    srcCaps: SRC_CAPS,
    // The stream decides, unless forced: downstream is asked only to intersect.
    outputCaps: (_input, allowed) => (forceCaps ? forceCaps.intersect(allowed) : allowed),
    open(ctx, up): Reader<Packet> {
      const queue: Packet[] = [];
      const held: Packet[] = [];
      let heldBytes = 0;
      let ended = false;
      // Forced caps were negotiated like a source's: fixed before anything flows.
      let found: Caps | undefined = forceCaps ? ctx.outputCaps.fixate() : undefined;

      const decide = (complete: boolean): Caps => {
        const head = headOf(held, TYPEFIND_BYTES);
        const accepted = ctx.outputCaps;
        const hit: TypeFound | undefined = findType(head, { complete });
        const sure = hit && hit.probability >= minimum ? hit : undefined;
        if (!sure || !sure.caps.isSubset(accepted)) throw new UnsupportedTypeError('the input', sure, kindsAccepted(accepted), sure ? undefined : head);
        ctx.log('debug', `${sure.name} (${sure.detail}; probability ${sure.probability}): ${sure.caps.toString()}`);
        return sure.caps;
      };
      const stamp = (p: Packet, c: Caps): Packet => ({ ...p, caps: c });

      const handle = (item: Pulled<Packet>): void => {
        if (item === EOS) ended = true;
        if (found) {
          if (item !== EOS) queue.push(stamp(item, found));
          return;
        }
        if (item !== EOS) {
          held.push(item);
          if (item.memory.domain === 'cpu') heldBytes += item.memory.data.length;
          if (heldBytes < TYPEFIND_BYTES) return;
        }
        // Enough bytes, or all there will be (an empty stream is named as such).
        const c = (found = decide(ended));
        for (const p of held) queue.push(stamp(p, c));
        held.length = 0;
      };
      return queuedReader(up, queue, handle, () => ended);
    },
  });
});
