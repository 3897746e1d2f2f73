import { defaultRegistry, type ElementRegistry } from '../../operators/registry';
import { installNodeFileOpener } from '../drivers/fs';

// `location=` of fileSrc/fileSink resolves to real files in the CLI.
installNodeFileOpener();

/**
 * The registry the CLI resolves element names in. Node-only elements (files, sockets) register into
 * `defaultRegistry` from node/; importing their module here makes them available to `launch` and `inspect`.
 */
export function cliRegistry(): ElementRegistry {
  return defaultRegistry;
}
