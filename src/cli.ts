import { adoptLauncher } from './cli/launcher.js';
import { main } from './cli/main.js';

adoptLauncher();
const code = await main(process.argv.slice(2));
// Everything the command promised is written by now; what is left is work it chose to abandon
// (tune leaves a compile that outlasted its budget behind), which must not hold the exit.
process.exit(code);
