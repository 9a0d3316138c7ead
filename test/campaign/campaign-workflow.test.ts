import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Step {
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  needs?: string;
  if?: string;
  strategy?: { 'fail-fast': boolean; matrix: { shard: number[] } };
  steps: Step[];
}

describe('the GitHub Actions campaign workflow', () => {
  const workflow = parse(readFileSync('.github/workflows/campaign.yml', 'utf8')) as { jobs: { shard: Job; merge: Job } };

  it('is valid YAML with a shard matrix that does not fail fast, each shard writing and uploading its results', () => {
    const shard = workflow.jobs.shard;
    expect(shard.strategy?.['fail-fast']).toBe(false);
    const shards = shard.strategy!.matrix.shard;
    expect(shards.length).toBeGreaterThan(1);
    const run = shard.steps.find((s) => s.run?.includes('campaign --shard'))!.run!;
    expect(run).toContain(`--shard \${{ matrix.shard }}/${shards.length}`);
    expect(run).toContain('--out shard-${{ matrix.shard }}.json');
    const upload = shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    expect(upload.if).toBe('always()');
    expect(upload.with?.path).toBe('shard-${{ matrix.shard }}.json');
  });

  it('has a merge job after every shard (even failed ones) that merges them into the job summary', () => {
    const merge = workflow.jobs.merge;
    expect(merge.needs).toBe('shard');
    expect(merge.if).toBe('always()');
    expect(merge.steps.some((s) => s.uses?.startsWith('actions/download-artifact'))).toBe(true);
    const run = merge.steps.find((s) => s.run?.includes('campaign merge'))!.run!;
    expect(run).toMatch(/campaign merge shard-\*\.json --markdown/);
    expect(run).toContain('$GITHUB_STEP_SUMMARY');
  });
});
