import { defaultRegistry, type ElementRegistry } from '../../operators/registry';
import { installNodeFileOpener } from '../drivers/fs';
import { installNativeStartCodeFinder } from '../drivers/start-code';
import { h264DecEntry } from '../elements/h264-dec';
import { h264EncEntry } from '../elements/h264-enc';
import { udpSinkEntry } from '../elements/udp-sink';
import { udpSrcEntry } from '../elements/udp-src';
import { rtspServerSinkEntry } from '../elements/rtsp-server-sink';
import { rtspSrcEntry } from '../elements/rtsp-src';
import { ortEntry } from '../ml/ort';
import { wgpuPreprocessEntry } from '../ml/wgpu-preprocess';

// `location=` of fileSrc/fileSink resolves to real files in the CLI.
installNodeFileOpener();
installNativeStartCodeFinder();
// Node-only elements (native addon, sockets).
defaultRegistry.register(h264DecEntry).register(h264EncEntry).register(udpSinkEntry).register(udpSrcEntry);
defaultRegistry.register(ortEntry).register(wgpuPreprocessEntry);
defaultRegistry.register(rtspSrcEntry).register(rtspServerSinkEntry);

/**
 * The registry the CLI resolves element names in. Node-only elements (files, sockets) register into
 * `defaultRegistry` from node/; importing their module here makes them available to `launch` and `inspect`.
 */
export function cliRegistry(): ElementRegistry {
  return defaultRegistry;
}
