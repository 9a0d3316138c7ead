/**
 * The one-call library entry: `await stress({ vcpus: 4, duration: 5, strategy: 'generation' })`
 * validates the options (UsageError on bad input), runs the model on real threads, and returns
 * the typed report. Threads run the built worker files (dist/, or GPC_LAB_DIST).
 */
import { resolveStressConfig, type StressOptions } from './stress-config.js';
import { runStress, type StressRunOptions } from './run-stress.js';
import type { StressReport } from './stress-report.js';

export function stress(options: StressOptions = {}, run: StressRunOptions = { progress: 'silent', notice: () => {} }): Promise<StressReport> {
  return runStress(resolveStressConfig(options), run);
}
