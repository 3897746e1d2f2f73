import { builtinElements } from '../../operators/elements';
import { ElementRegistry } from '../../src/descriptor';
import { installNodeFileOpener } from '../drivers/fs';
import { installNativeStartCodeFinder } from '../drivers/start-code';
import { nodeElements } from '../elements';
import { mlElements } from '../ml/elements';

let registry: ElementRegistry | undefined;

/**
 * The registry the CLI resolves element names in: the runtime-agnostic elements and Node's (native addon,
 * sockets, RTSP, ML), listed explicitly. First use also installs Node's drivers, so that `location=` of
 * fileSrc/fileSink resolves to real files and h264Parse finds start codes natively.
 */
export function cliRegistry(): ElementRegistry {
  if (!registry) {
    installNodeFileOpener();
    installNativeStartCodeFinder();
    registry = new ElementRegistry([...builtinElements, ...nodeElements, ...mlElements]);
  }
  return registry;
}
