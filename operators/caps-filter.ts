import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import type { Reader } from '../src/element';
import { defineTransform, type Transform } from '../src/operator';
import type { Packet } from '../src/packet';

export const CAPS_FILTER = defineElement({
  name: 'capsFilter',
  kind: 'transform',
  description: 'Restricts the format on a link to its caps; packets pass untouched (GStreamer capsfilter)',
  caps: { sink: Caps.any(), src: Caps.any() },
  metas: 'forward',
  notes:
    "What `a ! video/x-raw ! b` makes in launch syntax. It only takes part in negotiation; a mid-stream caps change outside its caps fails at the runtime's renegotiation check.",
  properties: { caps: prop.caps({ default: 'ANY', doc: 'The caps allowed through (both pad templates become these)' }) },
  build: (s) =>
    defineTransform<Packet, Packet>({
      sinkCaps: s.caps,
      srcCaps: s.caps,
      passthrough: true,
      open: (_ctx, up): Reader<Packet> => ({ pull: (signal) => up.pull(signal) }),
    }),
});

export type CapsFilterOptions = Omit<ElementOptions<typeof CAPS_FILTER>, 'caps'>;

/** Restricts the format on a link to `caps` (GStreamer's capsfilter). */
export const capsFilter = <T extends Packet = Packet>(caps: string | Caps, options: CapsFilterOptions = {}): Transform<T, T> =>
  CAPS_FILTER.create({ ...options, caps }) as Transform<any, any>;
