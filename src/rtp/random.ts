/**
 * Random SSRCs, initial sequence numbers and timestamp offsets (RFC 3550 5.1 asks for random ones, so that
 * a restarted sender is not taken for the old one and plaintext attacks get no known start). Uses the
 * host's crypto where there is one; an embedded engine without it falls back to Math.random.
 */
export function randomUint32(): number {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint32Array): Uint32Array } }).crypto;
  if (c?.getRandomValues) return c.getRandomValues(new Uint32Array(1))[0];
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}

export function randomUint16(): number {
  return randomUint32() & 0xffff;
}
