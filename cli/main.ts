/**
 * `headroom`, the headless command line: a composition root like electron/, which builds the core
 * service and prints what it returns. Its commands come with the issues that build them; until then
 * it only tells what it is.
 */
import { Command } from 'commander';
import packageJson from '../package.json' with { type: 'json' };

const program = new Command('headroom')
  .description(packageJson.description)
  .version(packageJson.version)
  .allowExcessArguments(false)
  .addHelpText('after', '\nNo commands yet: connections, analyze, recommend and export come next.')
  .action(() => program.help());

program.parse();
