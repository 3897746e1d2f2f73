import { Caps } from '../../src/caps';
import { defineElement, prop, type ElementOptions } from '../../src/descriptor';
import type { Writer } from '../../src/element';
import { defineSink, type Sink } from '../../src/operator';
import type { Packet } from '../../src/packet';
import type { MaybePromise } from '../../src/util/promise';
import { loadGst, type GstBinding, type GstFragment } from './gst/addon';
import { acceptedCaps, GstBusError, negotiationError, pushPacket, queryFragment, startFragment, toGstCaps } from './gst/bridge';

/** How long one wait on the libuv pool lasts before the writer looks at its signal again. */
const WAIT_MS = 100;

export const GST_SINK = defineElement({
  name: 'gstSink',
  kind: 'sink',
  description: 'Runs a GStreamer pipeline fragment (gst-launch syntax) as a sink: appsrc ! fragment, in the GStreamer bridge addon',
  caps: { sink: Caps.any() },
  notes:
    "Needs the bridge addon (native-gst/g2g_gst.node, scripts/build-native-gst.sh) and GStreamer. Its sink caps are the fragment's answer to a caps query, asked when the element is built (a fragment that takes nothing fails then, naming the element). Each packet's bytes are lent to GStreamer as read-only GstMemory, no copy, with pts/dts/duration/flags mapped; a full appsrc holds the writer back. End-of-stream waits for the fragment's own EOS (a muxer finishes its file); bus errors fail the element naming the inner element; the fragment goes to NULL at EOS, error and abort.",
  properties: {
    pipeline: prop.string({
      required: true,
      pattern: /\S/,
      accepts: 'a gst-launch pipeline fragment',
      doc: 'The GStreamer fragment, in gst-launch syntax, starting where glass2glass hands over (`h264parse ! mp4mux ! filesink location=out.mp4`)',
    }),
    sync: prop.boolean({
      default: false,
      doc: "Wait for each packet's presentation time on the glass2glass clock before handing it over (the fragment's own sinks sync on GStreamer's clock)",
    }),
  },
  build(s, x: { addon?: GstBinding }): Sink<Packet> {
    const addon = x.addon ?? loadGst();
    const query = queryFragment(addon, 'sink', s.pipeline);
    const name = s.name ?? GST_SINK.name;
    const sinkCaps = query((fragment) => {
      const caps = acceptedCaps(fragment.sinkCaps(undefined));
      if (caps.isEmpty()) throw negotiationError(name, fragment, undefined, 'its input', 'the fragment takes nothing');
      return caps;
    });
    return defineSink<Packet>({
      sinkCaps,
      sync: s.sync,
      dropLate: false,
      open(ctx): Writer<Packet> {
        const fragment: GstFragment = startFragment(ctx, addon, 'sink', s.pipeline, ctx.inputCaps ? toGstCaps(ctx.inputCaps) : undefined, undefined);
        const inputCaps: { caps?: Caps } = { caps: ctx.inputCaps };
        let closed = false;
        const check = (): void => {
          const e = fragment.error();
          if (e !== null) throw new GstBusError(e);
        };
        const write = (p: Packet, signal: AbortSignal): MaybePromise<void> => {
          check();
          if (fragment.canPush()) return pushPacket(ctx, fragment, p, inputCaps);
          return fragment.wait(true, WAIT_MS, signal).then(() => write(p, signal));
        };
        const finish = async (signal: AbortSignal): Promise<void> => {
          fragment.endOfStream();
          for (;;) {
            check();
            if (fragment.isEos()) return;
            signal.throwIfAborted();
            await fragment.wait(false, WAIT_MS, signal);
          }
        };
        return {
          write,
          end: finish,
          close() {
            if (closed) return;
            closed = true;
            fragment.stop();
            for (const w of fragment.takeWarnings()) ctx.log('warn', `GStreamer ${w}`);
            fragment.dispose();
          },
        };
      },
    });
  },
});

export type GstSinkOptions = ElementOptions<typeof GST_SINK> & { addon?: GstBinding };

/** A GStreamer pipeline fragment as a glass2glass sink (`gstSink({ pipeline: 'h264parse ! mp4mux ! filesink location=out.mp4' })`). */
export const gstSink = (options: GstSinkOptions): Sink<Packet> => GST_SINK.create(options);
