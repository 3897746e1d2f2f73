// The g2g executable (bin/g2g.js imports the build of this file): run the command, exit with its code.
import { installNativeStartCodeFinder } from '../drivers/start-code';
import { main } from './dispatch';

// Every command (launch, remux, probe, bench, …) parses H.264 with Node's native byte search.
installNativeStartCodeFinder();

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A handle left open by a misbehaving element must not keep a finished CLI alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 2000).unref();
  },
);
