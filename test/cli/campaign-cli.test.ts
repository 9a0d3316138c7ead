import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CampaignReport } from '../../src/campaign/campaign-report.js';
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
    [['--bug', 'guest-uses-no-evict,guest-uses-no-evict'], '--bug guest-uses-no-evict given twice'],
    [['--json', '--markdown'], '--json and --markdown are two formats of the same report; give one of them'],
  ])('bad input %j exits 2 with a clear message and runs nothing', (args, message) => {
    const result = run(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('one bug, one run, --json: the row, its run with the re-run command, a clean reference, exit 0', () => {
    const result = run(['--bug', 'guest-uses-no-evict', '--runs', '1', '--budget', '10s', '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ tool: 'gpc-lab', command: 'campaign' });
    expect(report.rows[0].detected).toBe(1);
    expect(report.rows[0].runs[0].rerun).toContain('--bug guest-uses-no-evict');
    expect(report.referenceFindings).toBe(0);
  });

  it('--markdown prints a Markdown table', () => {
    const result = run(['--bug', 'check-ignores-generation', '--runs', '1', '--budget', '10', '--markdown']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('| bug | history | kind | detected |');
    expect(result.stdout).toContain('| `check-ignores-generation` | seed | safety | 1/1 (miss < 100%) |');
  });
});

describe('gpc-lab campaign and Ctrl-C', () => {
  it('Ctrl-C after the first bug finished: the run in progress stops and the partial table is printed', async () => {
    const { spawn } = await import('node:child_process');
    // Two bugs; the second one (a livelock entry, ~0.5 s per run, 10 runs) is still running when we interrupt.
    const child = spawn(
      process.execPath,
      [cli, 'campaign', '--bug', 'check-ignores-generation,invalidate-end-leaks-count', '--runs', '10', '--budget', '10s'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Interrupt once the second bug has started its runs (its first run's line is out).
      if (!interrupted && /invalidate-end-leaks-count: run 1\/10/.test(stderr)) {
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
    expect(code).toBe(130); // Ctrl-C, after the partial table (the finished bug was detected in every run, its reference clean)
    expect(stdout).toMatch(/\[interrupted: partial campaign\]/);
    expect(stdout).toMatch(/check-ignores-generation/);
    expect(stdout).toMatch(/partial report, 1 of 2 bugs finished/);
    expect(stderr).toMatch(/interrupted: stopping the campaign/);
  });

  it('two shards (--shard i/2 --out), merged, give the unsharded campaign\'s table for the same seeds; the merge prints it as Markdown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpc-campaign-shards-'));
    // Catalog neighbours, so each shard of 2 holds one of them.
    const bugs = ['--bug', 'check-ignores-generation,guest-uses-no-evict', '--runs', '1', '--budget', '10s'];
    const whole = run([...bugs, '--json']);
    expect(whole.status, whole.stderr).toBe(0);
    for (const i of [1, 2]) expect(run([...bugs, '--shard', `${i}/2`, '--out', join(dir, `shard-${i}.json`)]).status).toBe(0);
    const merged = run(['merge', join(dir, 'shard-2.json'), join(dir, 'shard-1.json'), '--json']);
    expect(merged.status, merged.stderr).toBe(0);
    // Times differ run to run; what the seeds decide must not.
    const table = (r: CampaignReport) => r.rows.map((row) => ({ name: row.name, detected: row.detected, runs: row.runs.map((x) => [x.seed, x.detected]), reference: row.reference.findings, ok: row.ok }));
    const unsharded = JSON.parse(whole.stdout) as CampaignReport;
    const fromShards = JSON.parse(merged.stdout) as CampaignReport;
    expect(table(fromShards)).toEqual(table(unsharded));
    expect(fromShards.shard).toBe('1,2/2');
    expect(fromShards.provenance.configHash).toBe((JSON.parse(readFileSync(join(dir, 'shard-1.json'), 'utf8')) as CampaignReport).provenance.configHash);
    const markdown = run(['merge', join(dir, 'shard-1.json'), join(dir, 'shard-2.json'), '--markdown']);
    expect(markdown.stdout).toContain('| `check-ignores-generation` |');
    expect(markdown.stdout).toContain('| `guest-uses-no-evict` |');
    const partial = run(['merge', join(dir, 'shard-1.json')]);
    expect(partial.status).toBe(1);
    expect(partial.stdout).toContain('PARTIAL: missing shards 2 of 2');
  }, 120_000);

  it('campaign merge of a file that is not a shard report, and --out into a missing directory: exit 2, one line', () => {
    const notShard = run(['merge', 'package.json']);
    expect(notShard.status).toBe(2);
    expect(notShard.stderr).toContain('package.json is not a gpc-lab campaign JSON report');
    const badOut = run(['--bug', 'guest-uses-no-evict', '--runs', '1', '--out', '/nonexistent/shard.json']);
    expect(badOut.status).toBe(2);
    expect(badOut.stderr).toContain('--out /nonexistent/shard.json: directory /nonexistent does not exist');
  });
});
