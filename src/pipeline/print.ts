import type { AnyElement, Chain } from '../element';

/**
 * Prints a chain of elements in gst-launch syntax that `parseLaunch` reads back into the same graph.
 * Fan-in and fan-out become named references, as one writes them by hand: each input of a merge is a chain
 * ending in `! m.`, printed before the merge; a tee's first branch continues its chain and every other
 * branch is a chain starting at `t.`, printed after it.
 */
export function printLaunch(elements: readonly AnyElement[], name: (el: AnyElement) => string): string {
  const out: string[] = [];
  printChain(elements, '', '', name, out);
  return out.join('  ');
}

function printChain(elements: readonly AnyElement[], prefix: string, suffix: string, name: (el: AnyElement) => string, out: string[]): void {
  const parts: string[] = [];
  const later: [Chain, string][] = [];
  const todo = [...elements];
  for (let el = todo.shift(); el !== undefined; el = todo.shift()) {
    const inputs = el.kind === 'source' ? el.inputs : undefined;
    for (const input of inputs ?? []) printChain(input.elements, '', ` ! ${name(el)}.`, name, out);
    parts.push(element(el, name));
    const branches = el.kind === 'sink' ? el.branches : undefined;
    if (branches?.length) {
      // A tee ends its chain, so its first branch simply continues it.
      todo.push(...branches[0].elements);
      for (const b of branches.slice(1)) later.push([b, name(el)]);
    }
  }
  out.push(prefix + parts.join(' ! ') + suffix);
  for (const [b, ref] of later) printChain(b.elements, `${ref}. ! `, '', name, out);
}

function element(el: AnyElement, name: (el: AnyElement) => string): string {
  const props = Object.entries(el.props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${quote(String(v))}`)
    .join('');
  return `${el.factory} name=${name(el)}${props}`;
}

/** Quotes a value the launch parser would otherwise split or unescape (spaces, `!`, quotes, backslashes). */
function quote(v: string): string {
  return v === '' || /[\s!"'\\]/.test(v) ? `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"` : v;
}
