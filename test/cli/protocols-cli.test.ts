import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = join(resolve(process.env.GPC_LAB_DIST ?? 'dist'), 'cli.js');

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('gpc-lab protocols', () => {
  it('lists mainline (the default) and range-retry with their sources, summaries and the steps each replaces', () => {
    const result = run(['protocols']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^mainline {2}\(default/m);
    expect(result.stdout).toContain('upstream 6.17');
    expect(result.stdout).toMatch(/^range-retry$/m);
    expect(result.stdout).toContain('Zw8DINUkJJKDByXE@google.com');
    expect(result.stdout).toMatch(/replaces:\n {4}retryPredicate {2}range-aware mmu_notifier_retry_cache/);
    for (const step of ['retryPredicate', 'invalidationHook', 'check', 'resolvePfn', 'evictionRequest', 'memslotUpdate', 'irqReadLock']) expect(result.stdout).toContain(`    ${step}`);
  });

  it('--json: one object per variant with name, summary, source, default, and its steps with their sources', () => {
    const result = run(['protocols', '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { tool: string; command: string; protocols: { name: string; summary: string; source: string; default: boolean; steps: { step: string; source: string }[] }[] };
    expect(report).toMatchObject({ tool: 'gpc-lab', command: 'protocols' });
    const list = report.protocols;
    expect(list.map((p) => p.name)).toEqual(['mainline', 'b17-trylock', 'dwmw2-range-2024', 'griffoul-v4', 'itazuri-gmem-rfc2', 'range-retry', 'seed-2021']);
    const [mainline, trylock, range] = ['mainline', 'b17-trylock', 'range-retry'].map((name) => list.find((p) => p.name === name));
    expect(mainline!.default).toBe(true);
    expect(mainline!.source).toContain('upstream 6.17');
    expect(mainline!.steps.map((s) => s.step)).toEqual(['retryPredicate', 'invalidationHook', 'check', 'resolvePfn', 'evictionRequest', 'memslotUpdate', 'irqReadLock']);
    expect(trylock!.default).toBe(false);
    expect(trylock!.steps).toEqual([{ step: 'irqReadLock', source: expect.stringContaining('read_trylock') }]);
    expect(range!.default).toBe(false);
    expect(range!.source).toContain('Zw8DINUkJJKDByXE@google.com');
    expect(range!.summary).not.toContain('\n');
    expect(range!.steps).toEqual([{ step: 'retryPredicate', source: expect.stringContaining('Zw8DINUkJJKDByXE@google.com') }]);
  });

  it.each([
    [['stress', '--protocol', 'nope'], "error: --protocol must be one of mainline, b17-trylock, dwmw2-range-2024, griffoul-v4, itazuri-gmem-rfc2, range-retry, seed-2021, got 'nope'"],
    [['bench', '--protocol', 'nope'], "error: --protocol must be one of mainline, b17-trylock, dwmw2-range-2024, griffoul-v4, itazuri-gmem-rfc2, range-retry, seed-2021, got 'nope'"],
    [['campaign', '--protocol', 'nope'], "error: --protocol must be one of mainline, b17-trylock, dwmw2-range-2024, griffoul-v4, itazuri-gmem-rfc2, range-retry, seed-2021, got 'nope'"],
    [['stress', '--retry', 'range', '--protocol', 'mainline'], 'error: --retry range is --protocol range-retry: it conflicts with --protocol mainline (give one of them)'],
    [['stress', '--retry', 'some'], "error: --retry must be one of any, range, got 'some'"],
  ])('%j: exit 2, one line naming the value and what is allowed, nothing run', (args, line) => {
    const result = run(args);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([line]);
    expect(result.stdout).toBe('');
  });
});
