/** `gpc-lab bugs`: the catalog of injectable bugs (name, source, what goes wrong, which property should catch it). */
import type { Command } from 'commander';
import { formatBugList, listBugs } from '../bugs/format-bugs.js';

export function registerBugsCommand(program: Command): void {
  program
    .command('bugs')
    .description('list the injectable historical bugs: source commit or seed line, what goes wrong, which property should catch it')
    .option('--json', 'print the catalog as JSON')
    .action(function bugsAction(raw: { json?: boolean }) {
      const bugs = listBugs();
      if (raw.json === true) process.stdout.write(`${JSON.stringify(bugs, null, 2)}\n`);
      else process.stdout.write(`${formatBugList(bugs).join('\n')}\n`);
    });
}
