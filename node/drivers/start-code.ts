import { Buffer } from 'node:buffer';
import { setStartCodeFinder, type StartCodeFinder } from '../../src/codecs/h264/nal';

const NEEDLE = Buffer.from([0, 0, 1]);

/** Node's native byte search for H.264 start codes (≈5× the portable JS loop). */
export const nativeStartCodeFinder: StartCodeFinder = (data, from) =>
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(NEEDLE, from);

/** Installs it for every H.264 parser in this process; returns the previous finder. */
export function installNativeStartCodeFinder(): StartCodeFinder | undefined {
  return setStartCodeFinder(nativeStartCodeFinder);
}
