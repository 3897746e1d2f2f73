/**
 * A real copy of bytes. `Buffer#slice` (Node) returns a view, not a copy, and a Buffer is a Uint8Array, so
 * `u8.slice()` on bytes that may come from Node I/O cannot be trusted to copy.
 */
export function copyBytes(src: Uint8Array, start = 0, end = src.length): Uint8Array {
  return Uint8Array.prototype.slice.call(src, start, end);
}
