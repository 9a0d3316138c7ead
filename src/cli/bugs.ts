/** `gpc-lab bugs`: the catalog of injectable bugs (name, source, what goes wrong, which property should catch it). */
import { jsonEnvelope, type JsonEnvelope } from '../util/json-envelope.js';
import type { Command } from 'commander';
import { formatBugList, listBugs, type BugListing } from '../bugs/format-bugs.js';

/** What `bugs --json` prints: the catalog under the common envelope. */
export interface BugsReport extends JsonEnvelope<'bugs'> {
  readonly bugs: BugListing[];
}

export function bugsReport(bugs: BugListing[]): BugsReport {
  return { ...jsonEnvelope('bugs'), bugs };
}

export function registerBugsCommand(program: Command): void {
  program
    .command('bugs')
    .description('list the injectable historical bugs: source commit or seed line, what goes wrong, which property should catch it')
    .option('--json', 'print the catalog as JSON')
    .action(function bugsAction(raw: { json?: boolean }) {
      const bugs = listBugs();
      if (raw.json === true) process.stdout.write(`${JSON.stringify(bugsReport(bugs), null, 2)}\n`);
      else process.stdout.write(`${formatBugList(bugs).join('\n')}\n`);
    });
}
