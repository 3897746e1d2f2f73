import { Caps } from '../../src/caps';
import { defineElement, prop, type ElementOptions } from '../../src/descriptor';
import type { CpuMemory } from '../../src/memory/memory';
import { defineSource, type Source } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { loadGst, type GstBinding } from './gst/addon';
import { fragmentReader, fromGstCaps, negotiationError, queryFragment, startFragment, toGstCaps } from './gst/bridge';

export const GST_SRC = defineElement({
  name: 'gstSrc',
  kind: 'source',
  description: 'Runs a GStreamer pipeline fragment (gst-launch syntax) as a source: fragment ! appsink, in the GStreamer bridge addon',
  caps: { src: Caps.any() },
  notes:
    "Needs the bridge addon (native-gst/g2g_gst.node, scripts/build-native-gst.sh) and GStreamer. Its caps are the fragment's answer to a caps query filtered by what downstream allows (unfixed when the stream decides: a demuxer's come with the first sample). Packets are the appsink's GstBuffers, mapped, no copy, with pts/dts/duration/flags mapped and capture time the clock's time at arrival. Bus errors fail the element naming the inner element; the fragment goes to NULL at EOS, error and abort.",
  properties: {
    pipeline: prop.string({
      required: true,
      pattern: /\S/,
      accepts: 'a gst-launch pipeline fragment',
      doc: 'The GStreamer fragment, in gst-launch syntax, ending where glass2glass takes over (`filesrc location=a.mkv ! matroskademux ! h264parse`)',
    }),
  },
  build(s, x: { addon?: GstBinding }): Source<Packet<CpuMemory>> {
    const addon = x.addon ?? loadGst();
    const query = queryFragment(addon, 'src', s.pipeline);
    const name = s.name ?? GST_SRC.name;
    return defineSource<Packet<CpuMemory>>({
      srcCaps: Caps.any(),
      fixate(allowed) {
        const allowedText = allowed.isAny ? undefined : toGstCaps(allowed);
        return query((fragment) => {
          const out = fromGstCaps(fragment.srcCaps(undefined, allowedText));
          if (out.isEmpty()) throw negotiationError(name, fragment, allowedText, 'its output', `nothing it makes is within ${allowedText ?? 'ANY'}`);
          const within = out.intersect(allowed);
          return within;
        });
      },
      open(ctx) {
        const fragment = startFragment(ctx, addon, 'src', s.pipeline, undefined, ctx.outputCaps.isAny ? undefined : toGstCaps(ctx.outputCaps));
        return fragmentReader(ctx, fragment, undefined, (meta) => ({ ...meta, captureTime: ctx.clock.now() }));
      },
    });
  },
});

export type GstSrcOptions = ElementOptions<typeof GST_SRC> & { addon?: GstBinding };

/** A GStreamer pipeline fragment as a glass2glass source (`gstSrc({ pipeline: 'filesrc location=a.mkv ! matroskademux' })`). */
export const gstSrc = (options: GstSrcOptions): Source<Packet<CpuMemory>> => GST_SRC.create(options);
