import { Caps } from '../src/caps';
import type { Reader } from '../src/element';
import { defineTransform, type Transform } from '../src/operator';
import type { Packet } from '../src/packet';

export interface CapsFilterOptions {
  name?: string;
}

/**
 * Restricts the format on a link to `caps` (GStreamer's capsfilter, what `a ! video/x-raw ! b` makes in
 * launch syntax). It only takes part in negotiation: packets pass through untouched, and a mid-stream
 * caps change outside `caps` fails at the runtime's renegotiation check.
 */
export function capsFilter<T extends Packet = Packet>(caps: string | Caps, options: CapsFilterOptions = {}): Transform<T, T> {
  const filter = typeof caps === 'string' ? Caps.parse(caps) : caps;
  return defineTransform<T, T>({
    factory: 'capsFilter',
    name: options.name,
    props: { caps: filter.toString() },
    sinkCaps: filter,
    srcCaps: filter,
    passthrough: true,
    metas: 'forward',
    open: (_ctx, up): Reader<T> => ({ pull: (signal) => up.pull(signal) }),
  });
}
