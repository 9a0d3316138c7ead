/**
 * A protocol variant is one module plus one registry line: here the module is a test fixture
 * (test/support/retry-once-protocol.mjs, not shipped) registered at run time with
 * protocolModules / --protocol-module, loaded by the main thread and every model thread.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findingsOf, firing, shortStress } from '../../stress/stress-support.js';

const FIXTURE = resolve('test/support/retry-once-protocol.mjs');
const cli = join(resolve(process.env.GPC_LAB_DIST ?? 'dist'), 'cli.js');
/** No invalidation and no memslot update: mainline never retries, so every retry is the variant's. */
const QUIET_MM = { workload: 'steal,xen', invalRate: 0, memslotRate: 0, juggleRate: 200, duration: 1.5 } as const;

describe('a protocol variant loaded from a module of the test', () => {
  it('a short stress with it names it in the report, and its retry predicate ran in the threads: refreshes retried, none more than once', async () => {
    const report = await shortStress({ ...QUIET_MM, protocol: 'test-retry-once', protocolModules: [pathToFileURL(FIXTURE).href] });
    expect(report.internalErrors).toEqual([]);
    expect(report.protocol.name).toBe('test-retry-once');
    expect(report.protocol.source).toContain('retry-once-protocol.mjs');
    expect(report.protocol.steps).toEqual([{ step: 'retryPredicate', source: 'a predicate that alternates retry / accept (test fixture)' }]);
    expect(report.config.protocol).toBe('test-retry-once');
    expect(report.rerun).toContain(`--protocol test-retry-once --protocol-module ${FIXTURE}`);
    expect(firing(report)).toBe('none');
    // The juggler's re-activations refresh shared_info through hva_to_pfn_retry: each one retried once.
    expect(report.totals.juggles).toBeGreaterThan(0);
    expect(report.totals.refreshRetries).toBeGreaterThan(0);
    expect(report.totals.maxRefreshRetries).toBe(1);
    expect(findingsOf(report, 'livelock')).toBe(0);
  });

  it('the same workload on mainline: no refresh ever retries (so the retries above came from the variant)', async () => {
    const report = await shortStress({ ...QUIET_MM });
    expect(report.protocol.name).toBe('mainline');
    expect(report.totals.juggles).toBeGreaterThan(0);
    expect(report.totals.refreshes).toBeGreaterThan(0);
    expect(report.totals.refreshRetries).toBe(0);
  });

  it('gpc-lab stress --protocol-module FILE --protocol NAME: the CLI loads it (a path) and the JSON report names it', () => {
    const result = spawnSync(
      process.execPath,
      [cli, 'stress', '--protocol-module', FIXTURE, '--protocol', 'test-retry-once', '--workload', 'steal,xen', '--inval-rate', '0', '--memslot-rate', '0', '--vcpus', '1', '--duration', '1', '--seed', '3', '--json'],
      { encoding: 'utf8', timeout: 90_000 },
    );
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { protocol: { name: string }; totals: { maxRefreshRetries: number } };
    expect(report.protocol.name).toBe('test-retry-once');
    expect(report.totals.maxRefreshRetries).toBe(1);
  });

  it('a name that the loaded modules do not define is a usage error listing the known ones, shipped and loaded', async () => {
    await expect(shortStress({ protocol: 'no-such-variant', protocolModules: [FIXTURE], duration: 0.2 })).rejects.toThrow(
      "--protocol must be one of mainline, b17-trylock, dwmw2-range-2024, griffoul-v4, itazuri-gmem-rfc2, range-retry, seed-2021, test-retry-once, got 'no-such-variant'",
    );
  });

  it('a module file that does not exist: one usage line naming it, exit 2', () => {
    const result = spawnSync(process.execPath, [cli, 'stress', '--protocol-module', 'test/support/missing.mjs', '--duration', '0.2'], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      "error: --protocol-module must name an existing file (a module whose default export is a protocol variant), got 'test/support/missing.mjs'",
    ]);
  });
});
