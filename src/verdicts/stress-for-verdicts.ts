/** One bounded in-process stress run of the verdicts (runStress), silent, stoppable by Ctrl-C. */
import { resolveStressConfig, type StressOptions } from '../stress/stress-config.js';
import { runStress } from '../stress/run-stress.js';
import type { StressReport } from '../stress/stress-report.js';

/** Thrown when `stop` aborts; caught by runVerdicts. */
export class VerdictsInterrupted extends Error {}

/** One bounded stress run; throws VerdictsInterrupted if Ctrl-C came before or during it. */
export async function stressForVerdicts(options: StressOptions, stop: AbortSignal | undefined): Promise<StressReport> {
  if (stop?.aborted) throw new VerdictsInterrupted();
  const report = await runStress(resolveStressConfig({ ...options, json: true }), { progress: 'silent', notice: () => {}, ...(stop ? { stopSignal: stop } : {}) });
  // A run cut short by Ctrl-C proves nothing either way: it is not counted.
  if (stop?.aborted) throw new VerdictsInterrupted();
  return report;
}
