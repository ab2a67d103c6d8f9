import { adoptLauncher } from './cli/launcher.js';
import { main } from './cli/main.js';

adoptLauncher();
process.exitCode = await main(process.argv.slice(2));
