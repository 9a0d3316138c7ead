import { resolveStressConfig, type StressOptions } from '../../src/stress/stress-config.js';
import { runStress } from '../../src/stress/run-stress.js';
import type { StressReport } from '../../src/stress/stress-report.js';

/**
 * A short stress through the library API (threads run the built files: GPC_LAB_DIST or dist/).
 * Like the campaign, it runs mainline with the would-be fix of candidate upstream bug S1 on
 * (`--fix hva-seq-miss`, docs/VERDICTS.md) unless `fix` is given: S1 is what mainline does, rare
 * at these rates, and a test of the clean reference must not fail on it by chance;
 * test/kvm/hva-seq-miss.test.ts shows mainline without the fix finding it.
 */
export function shortStress(options: StressOptions): Promise<StressReport> {
  return runStress(resolveStressConfig({ duration: 2, seed: 11, vcpus: 2, fix: 'hva-seq-miss', ...options }), { progress: 'silent', notice: () => {} });
}

export function findingsOf(report: StressReport, property: string): number {
  const row = report.properties.find((p) => p.name === property);
  if (!row) throw new Error(`no property ${property}`);
  return row.findings;
}

export function checksOf(report: StressReport, property: string): number {
  return report.properties.find((p) => p.name === property)!.checks;
}

/** Every property with findings, for assertion messages. */
export function firing(report: StressReport): string {
  return report.properties.filter((p) => p.findings > 0).map((p) => `${p.name}=${p.findings}`).join(' ') || 'none';
}
