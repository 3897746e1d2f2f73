import { getFileOpener } from '../src/io/opener';
import { startCodeFinder } from '../src/codecs/h264/nal';
import { installNodeFileOpener } from './drivers/fs';
import { installNativeStartCodeFinder } from './drivers/start-code';

/**
 * Gives the core its Node host services (file opener, Buffer's start-code search) unless the app installed
 * its own. The package's `node` export condition imports this, so `fileSink({ location })` just works in
 * Node while browsers and other engines get the core untouched.
 */
export function installNodeHost(): void {
  if (getFileOpener() === undefined) installNodeFileOpener();
  if (startCodeFinder() === undefined) installNativeStartCodeFinder();
}
