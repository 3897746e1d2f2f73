import { Caps } from '../../src/caps';
import { defineElement, prop, type ElementOptions } from '../../src/descriptor';
import type { Reader } from '../../src/element';
import type { CpuMemory } from '../../src/memory/memory';
import { defineTransform, type Transform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { mapReader } from '../../src/reader';
import { loadGst, type GstBinding } from './gst/addon';
import { acceptedCaps, fragmentReader, fromGstCaps, negotiationError, queryFragment, SideTable, startFragment, toGstCaps } from './gst/bridge';

export const GST_BIN = defineElement({
  name: 'gstBin',
  kind: 'transform',
  description: 'Runs a GStreamer pipeline fragment (gst-launch syntax) as a transform: appsrc ! fragment ! appsink, in the GStreamer bridge addon',
  caps: { sink: Caps.any(), src: Caps.any() },
  notes:
    "Needs the bridge addon (native-gst/g2g_gst.node, scripts/build-native-gst.sh) and GStreamer; loaded when the element is built. Negotiation asks the fragment (a caps query on its pads, in state NULL): a fragment that takes or makes nothing allowed fails before data flows, naming the GStreamer element. Packets cross with pts/dts/duration/flags mapped; capture time is kept by pts in a side table. System memory crosses without a copy both ways: input bytes are lent to GStreamer as read-only GstMemory (held until GStreamer drops it), output is the GstBuffer's mapped memory (held until the packet is collected); a GstBuffer of several memories is merged to map (a copy, in the ledger). GStreamer's threads never call into JS: bounded queues both ways. Bus errors fail the element naming the inner element; the fragment goes to NULL at EOS, error and abort.",
  properties: {
    pipeline: prop.string({
      required: true,
      pattern: /\S/,
      accepts: 'a gst-launch pipeline fragment',
      doc: 'The GStreamer fragment, in gst-launch syntax (`videoconvert ! videoscale ! video/x-raw,width=320`)',
    }),
  },
  build(s, x: { addon?: GstBinding }): Transform<Packet, Packet<CpuMemory>> {
    const addon = x.addon ?? loadGst();
    const query = queryFragment(addon, 'bin', s.pipeline);
    const name = (): string => s.name ?? GST_BIN.name;
    return defineTransform<Packet, Packet<CpuMemory>>({
      sinkCaps: Caps.any(),
      srcCaps: Caps.any(),
      // What the fragment takes, given what may leave it (a CAPS query on appsrc's peer).
      acceptCaps(downstream) {
        const allowedText = downstream.isAny ? undefined : toGstCaps(downstream);
        return query((fragment) => {
          const accepted = acceptedCaps(fragment.sinkCaps(allowedText));
          if (accepted.isEmpty())
            throw negotiationError(name(), fragment, allowedText, 'its input', `nothing it takes can leave it${allowedText ? ` as ${allowedText}` : ''}`);
          return accepted;
        });
      },
      outputCaps(input, allowed) {
        const allowedText = allowed.isAny ? undefined : toGstCaps(allowed);
        return query((fragment) => {
          const out = fromGstCaps(fragment.srcCaps(toGstCaps(input), allowedText));
          if (out.isEmpty()) {
            throw negotiationError(
              name(),
              fragment,
              allowedText,
              'its input',
              `input ${input.toString()}${allowedText ? `, output within ${allowedText}` : ''}`
            );
          }
          return out.intersect(allowed);
        });
      },
      open(ctx, up) {
        const table = new SideTable();
        const fed: Reader<Packet> = mapReader(up, (p) => (table.put(p), p));
        const output = ctx.outputCaps.isAny ? undefined : toGstCaps(ctx.outputCaps);
        const fragment = startFragment(ctx, addon, 'bin', s.pipeline, ctx.inputCaps ? toGstCaps(ctx.inputCaps) : undefined, output);
        return fragmentReader(ctx, fragment, fed, (_, pts) => table.take(pts));
      },
    });
  },
});

export type GstBinOptions = ElementOptions<typeof GST_BIN> & { addon?: GstBinding };

/**
 * A GStreamer pipeline fragment as a glass2glass transform (`gstBin({ pipeline: 'videoconvert ! videoscale' })`):
 * any GStreamer element inside a glass2glass pipeline, with caps, time, memory and errors mapped.
 */
export const gstBin = (options: GstBinOptions): Transform<Packet, Packet<CpuMemory>> => GST_BIN.create(options);
