import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = join(resolve(process.env.GPC_LAB_DIST ?? 'dist'), 'cli.js');

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, 'campaign', ...args], { encoding: 'utf8', timeout: 90_000 });
}

describe('gpc-lab campaign on the command line', () => {
  it.each([
    [['--runs', '0'], '--runs must be an integer from 1 to 1000'],
    [['--budget', 'soon'], "--budget must be a number of seconds"],
    [['--shard', '0/2'], '--shard must be i/n'],
    [['--bug', 'nope'], '--bug must be one of'],
  ])('bad input %j exits 2 with a clear message and runs nothing', (args, message) => {
    const result = run(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('one bug, one run, --json: the row, its run with the re-run command, a clean reference, exit 0', () => {
    const result = run(['--bug', 'guest-uses-no-evict', '--runs', '1', '--budget', '10s', '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.tool).toBe('gpc-lab campaign');
    expect(report.rows[0].detected).toBe(1);
    expect(report.rows[0].runs[0].rerun).toContain('--bug guest-uses-no-evict');
    expect(report.referenceFindings).toBe(0);
  });

  it('--markdown prints a Markdown table', () => {
    const result = run(['--bug', 'check-ignores-generation', '--runs', '1', '--budget', '10', '--markdown']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('| bug | history | kind | detected |');
    expect(result.stdout).toContain('| `check-ignores-generation` | seed | safety | 1/1 |');
  });
});
