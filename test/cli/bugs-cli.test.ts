import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = join(resolve(process.env.GPC_LAB_DIST ?? 'dist'), 'cli.js');

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, 'bugs', ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('gpc-lab bugs', () => {
  it('lists every switch with its source, what goes wrong and the property that should catch it', () => {
    const result = run([]);
    expect(result.status).toBe(0);
    for (const name of ['refresh-skips-retry', 'refresh-valid-before-resolve', 'refresh-without-mutex', 'activate-reinits-locks', 'check-refresh-ignore-active', 'check-ignores-generation', 'guest-uses-no-evict', 'entry-check-before-mode', 'invalidate-no-read-precheck', 'unrelated-invalidation-livelock']) {
      expect(result.stdout).toContain(name);
    }
    expect(result.stdout).toContain('58cd407ca4c6');
    expect(result.stdout).toContain('caught by: uaf-khva');
    expect(result.stdout).toContain('no finding expected');
  });

  it('--json: one object per entry with name, source, kind and caughtBy', () => {
    const result = run(['--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { tool: string; command: string; bugs: { name: string; source: string; kind: string; caughtBy: string[]; aliases: string[] }[] };
    expect(report).toMatchObject({ tool: 'gpc-lab', command: 'bugs' });
    const bugs = report.bugs;
    const b10 = bugs.find((b) => b.name === 'check-refresh-ignore-active')!;
    expect(b10.source).toContain('ecbcf030b456');
    expect(b10.aliases).toEqual(['refresh-ignores-active']);
    expect(b10.caughtBy).toContain('state-invariant');
    expect(bugs.find((b) => b.name === 'invalidate-no-read-precheck')!.kind).toBe('cost');
  });
});
