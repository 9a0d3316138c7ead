import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VerdictsReport } from '../../src/verdicts/verdicts-report.js';

const cli = join(resolve(process.env.GPC_LAB_DIST ?? 'dist'), 'cli.js');
const FIXTURE = resolve('test/support/never-retry-protocol.mjs');

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, 'verdicts', ...args], { encoding: 'utf8', timeout: 120_000 });
}

describe('gpc-lab verdicts on the command line', () => {
  it.each([
    [['--budget', 'soon'], '--budget must be a number of seconds'],
    [['--protocol', 'nope'], "--protocol must be one or more of mainline"],
    [['--protocol', 'b17-trylock,b17-trylock'], '--protocol b17-trylock given twice'],
    [['--shard', '3/2'], '--shard must be i/n'],
    [['--seed', '-1'], '--seed must be an integer'],
    [['--vcpus', '0'], '--vcpus must be an integer from 1 to 256'],
    [['--bug', 'nope'], '--bug must be one of'],
    [['--catalog', '--bug', 'nope'], '--bug must be one of'],
    [['--protocol-module', '/no/such/module.mjs'], '--protocol-module must name an existing file'],
    [['--json', '--markdown'], '--json and --markdown are two formats of the same report; give one of them'],
  ])('bad input %j exits 2 with one line naming the value, and runs nothing', (args, message) => {
    const result = run(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it('--markdown: the table with one row per property, the finding with its step and patch, and mainline beside it clean; exit 0', () => {
    const result = run(['--protocol', 'test-never-retry', '--protocol-module', FIXTURE, '--budget', '2', '--vcpus', '2', '--markdown']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Command: `npx gpc-lab verdicts --protocol test-never-retry --protocol-module');
    expect(result.stdout).toMatch(/\| `test-never-retry` \| [^|]+ \| [\d,]+ \| [\d,]+ \| [^|]+ \| [\d,]+ findings in [^|]+ \| no finding in [\d,]+ checks over 2\.\d s \(seed 1\) \|/);
    expect(result.stdout).toMatch(/\| [a-z-]+ \| \*\*[\d,]+\*\* in [\d,]+/);
    expect(result.stdout).toContain('Allowed by: retryPredicate (neverRetryCache');
    expect(result.stdout).toContain('58cd407ca4c6');
  });

  it('mainline with a catalog bug switch on: exit 1, the unexplained finding named', () => {
    const result = run(['--protocol', 'mainline', '--bug', 'refresh-skips-retry', '--budget', '2', '--vcpus', '2', '--json']);
    expect(result.status, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as VerdictsReport;
    expect(report).toMatchObject({ tool: 'gpc-lab', command: 'verdicts', exitCode: 1 });
    expect(report.unexplainedMainline.length).toBeGreaterThan(0);
  });

  it('--catalog: a switch the variant declares inapplicable is "not applicable" with its why and is not run; the others found; exit 0', () => {
    const result = run(['--catalog', '--protocol', 'test-never-retry', '--protocol-module', FIXTURE, '--bug', 'refresh-skips-retry,check-ignores-generation', '--budget', '10', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as VerdictsReport;
    expect(report.variants).toEqual([]);
    expect(report.catalog).toHaveLength(2);
    expect(report.catalog![0]).toMatchObject({ variant: 'test-never-retry', bug: 'refresh-skips-retry', outcome: 'not applicable', seconds: 0 });
    expect(report.catalog![0]!.why).toContain('no retry to skip');
    expect(report.catalog![1]).toMatchObject({ bug: 'check-ignores-generation', outcome: 'found' });
  });
});

describe('gpc-lab verdicts and Ctrl-C', () => {
  it('Ctrl-C after the first variant finished: the run in progress stops, the partial report is printed, exit 130', async () => {
    const child = spawn(process.execPath, [cli, 'verdicts', '--protocol', 'mainline,b17-trylock', '--workload', 'steal', '--vcpus', '1', '--budget', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Interrupt once mainline's run is out (b17-trylock's 20 s run is then in progress).
      if (!interrupted && /^mainline: /m.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolveExit) => {
      const bound = setTimeout(() => child.kill('SIGKILL'), 120_000); // never leave a hung child
      child.on('exit', (c) => {
        clearTimeout(bound);
        resolveExit(c);
      });
    });
    expect(interrupted).toBe(true);
    expect(code).toBe(130);
    expect(stdout).toMatch(/^mainline: /m);
    expect(stdout).not.toMatch(/^b17-trylock: /m);
    expect(stdout).toContain('Interrupted (Ctrl-C): partial report');
    expect(stderr).toContain('interrupted: stopping the verdicts');
  }, 150_000);
});
