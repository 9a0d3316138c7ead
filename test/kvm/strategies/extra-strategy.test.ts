/**
 * An entry-check strategy is one module plus one registry line: here the module is a test fixture
 * (test/support/never-reload-strategy.mjs, not shipped) registered at run time with
 * strategyModules / --strategy-module, loaded by the main thread and every model thread.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findingsOf, shortStress } from '../../stress/stress-support.js';
import { UsageError } from '../../../src/util/usage-error.js';
import { resolveStressConfig } from '../../../src/stress/stress-config.js';

const FIXTURE = resolve('test/support/never-reload-strategy.mjs');
const cli = join(resolve(process.env.GPC_LAB_DIST ?? 'dist'), 'cli.js');

describe('an entry-check strategy loaded from a module of the test', () => {
  it('a short stress with it names it in the report and its note, and its check ran in the vCPU threads: the hardware used freed pages', async () => {
    const report = await shortStress({ strategy: 'test-never-reload', strategyModules: [pathToFileURL(FIXTURE).href], workload: 'nested', duration: 10, stopOnFinding: true });
    expect(report.internalErrors).toEqual([]);
    expect(report.config.strategy).toBe('test-never-reload');
    expect(report.notes.some((n) => n.startsWith('test-never-reload: the entry check always passed'))).toBe(true);
    expect(report.rerun).toContain('--strategy test-never-reload');
    expect(report.rerun).toContain(`--strategy-module ${FIXTURE}`);
    // A check that never fails lets the vCPU re-enter with pfns the mm has freed: the guest-mode
    // oracles fire, as they do for `none`.
    expect(findingsOf(report, 'uaf-guest-mode') + findingsOf(report, 'free-while-in-guest')).toBeGreaterThan(0);
  });

  it('the same options on the locked strategy: no finding (so the findings above came from the loaded check)', async () => {
    const report = await shortStress({ strategy: 'locked', workload: 'nested', duration: 2 });
    expect(report.internalErrors).toEqual([]);
    expect(findingsOf(report, 'uaf-guest-mode') + findingsOf(report, 'free-while-in-guest')).toBe(0);
    expect(report.totals.vmentries).toBeGreaterThan(0);
  });

  it('an unknown strategy without modules, or a missing module file, is a usage error naming the value', () => {
    expect(() => resolveStressConfig({ strategy: 'nope' })).toThrow(UsageError);
    expect(() => resolveStressConfig({ strategy: 'nope' })).toThrow(/--strategy must be one of locked, generation, lockless, none, got 'nope'/);
    expect(() => resolveStressConfig({ strategyModules: ['/nonexistent/x.mjs'] })).toThrow(/--strategy-module must name an existing file .* got '\/nonexistent\/x.mjs'/);
  });

  it('CLI: --strategy-module with a name it does not define exits 2 with one line listing the known strategies', () => {
    const r = spawnSync(process.execPath, [cli, 'stress', '--duration', '1', '--strategy-module', FIXTURE, '--strategy', 'bogus'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--strategy must be one of locked, generation, lockless, none, test-never-reload, got 'bogus'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
