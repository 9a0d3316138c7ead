/**
 * The torture's report: the data (also the --json output) and its text form.
 */
import type { JsonEnvelope } from '../util/json-envelope.js';
import type { LatencySummary } from '../harness/histogram.js';
import { formatStallReport, type StallReport } from '../harness/watchdog.js';
import type { TortureSideName } from './lock-ops.js';
import type { RunEnvironment } from '../harness/environment.js';

export type TortureVerdict = 'clean' | 'failures' | 'stall' | 'internal-error';

export interface TortureFailureSample {
  kind: string;
  thread: string;
  a: number;
  b: number;
  description: string;
}

export interface TortureThreadRow {
  name: string;
  side: TortureSideName;
  /** 'done' | 'failed' (its task threw) | 'killed' (did not end after the stop; terminated). */
  status: 'done' | 'failed' | 'killed';
  threadId: number;
  acquisitions: number;
  opsPerSec: number;
  maxReadersSeen: number;
  error?: string;
}

export interface TortureRoleRow {
  threads: number;
  total: number;
  min: number;
  minThread: string;
  max: number;
  maxThread: string;
  opsPerSec: number;
}

export interface TortureReport extends JsonEnvelope<'torture'> {
  verdict: TortureVerdict;
  /** 0 clean, 1 failures or a stall, 3 internal error, 130 stopped by Ctrl-C (after this partial report). */
  exitCode: 0 | 1 | 3 | 130;
  config: {
    lock: string;
    selfTest: boolean;
    readers: number;
    irqReaders: number;
    /** irqReaders is the rwlock default (no --irq-readers given). */
    irqReadersDefaulted: boolean;
    writers: number;
    durationS: number;
    seed: number;
    stallMs: number;
  };
  stopReason: string;
  interrupted: boolean;
  /** Measured window: from the start barrier to the stop request. */
  elapsedMs: number;
  totalAcquisitions: number;
  opsPerSec: number;
  failures: {
    count: number;
    byKind: Record<string, number>;
    /** The first logged failures, in the order they were recorded. */
    first: TortureFailureSample[];
  };
  stall: StallReport | null;
  internalErrors: string[];
  threads: TortureThreadRow[];
  roles: Partial<Record<TortureSideName, TortureRoleRow>>;
  /** Time from asking for the lock to holding it, in ns, per side and for all threads. */
  waitNs: Partial<Record<TortureSideName | 'all', LatencySummary>>;
  maxReadersInsideTogether: number;
  lockStats: { contended: number; sleeps: number; corruptions: number };
  threadsLeftRunning: number;
  environment: RunEnvironment;
}

const VERDICT_TEXT: Record<TortureVerdict, string> = {
  clean: 'CLEAN',
  failures: 'FAILED',
  stall: 'STALL',
  'internal-error': 'INTERNAL ERROR',
};

function micros(ns: number): string {
  return (ns / 1000).toFixed(ns < 10_000 ? 2 : 1);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The report as text lines (what the CLI prints without --json). */
export function formatTortureReport(report: TortureReport): string[] {
  const c = report.config;
  const lines: string[] = [];
  lines.push(
    `gpc-lab torture --lock ${c.lock}${c.selfTest ? ' (self-test: broken on purpose)' : ''}: ` +
      `${plural(c.readers, 'reader')}, ${plural(c.irqReaders, 'irq reader')}${c.irqReadersDefaulted ? ' (the rwlock default; --irq-readers 0 for none)' : ''}, ${plural(c.writers, 'writer')}, ` +
      `${c.durationS} s, seed ${c.seed}`,
  );
  if (c.readers + c.writers === 0) {
    lines.push(`note: only ${plural(c.irqReaders, 'irq reader')} ran, with no process-context reader and no writer: nothing contends for the lock, so this checks the read side alone`);
  }
  const summary =
    report.verdict === 'clean'
      ? '0 failures, no stall'
      : `${plural(report.failures.count, 'failure')}${report.stall ? ', stall' : ''}` +
        (report.internalErrors.length ? `, ${plural(report.internalErrors.length, 'internal error')}` : '');
  lines.push(`verdict: ${VERDICT_TEXT[report.verdict]} (${summary})${report.interrupted ? ' [interrupted: partial run]' : ''}`);

  for (const error of report.internalErrors) lines.push(`internal error: ${error}`);

  if (report.failures.count > 0) {
    lines.push(`failures: ${report.failures.count}`);
    for (const [kind, count] of Object.entries(report.failures.byKind)) lines.push(`  ${kind.padEnd(54)} ${count}`);
    lines.push('  first of each kind:');
    const shown = new Set<string>();
    for (const sample of report.failures.first) {
      if (shown.has(sample.kind)) continue;
      shown.add(sample.kind);
      lines.push(`    ${sample.thread}: ${sample.description}`);
    }
  }
  if (report.stall) lines.push(...formatStallReport(report.stall));

  lines.push('acquisitions (a low min in a role is starvation):');
  lines.push(`  ${'role'.padEnd(11)} ${'threads'.padStart(7)} ${'total'.padStart(10)} ${'min'.padStart(10)} ${'(thread)'.padEnd(13)} ${'max'.padStart(10)} ${'(thread)'.padEnd(13)} ${'ops/s'.padStart(10)}`);
  for (const [side, row] of Object.entries(report.roles)) {
    if (!row) continue;
    lines.push(
      `  ${side.padEnd(11)} ${String(row.threads).padStart(7)} ${String(row.total).padStart(10)} ` +
        `${String(row.min).padStart(10)} ${`(${row.minThread})`.padEnd(13)} ${String(row.max).padStart(10)} ` +
        `${`(${row.maxThread})`.padEnd(13)} ${Math.round(row.opsPerSec).toString().padStart(10)}`,
    );
  }
  lines.push('wait for the lock, µs:');
  lines.push(`  ${'role'.padEnd(11)} ${'count'.padStart(10)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'p99.9'.padStart(9)} ${'max'.padStart(9)}`);
  for (const [side, s] of Object.entries(report.waitNs)) {
    if (!s) continue;
    lines.push(
      `  ${side.padEnd(11)} ${String(s.count).padStart(10)} ${micros(s.p50).padStart(8)} ${micros(s.p90).padStart(8)} ` +
        `${micros(s.p99).padStart(8)} ${micros(s.p999).padStart(9)} ${micros(s.max).padStart(9)}`,
    );
  }
  lines.push(
    `throughput: ${Math.round(report.opsPerSec)} acquisitions/s (${report.totalAcquisitions} in ${(report.elapsedMs / 1000).toFixed(2)} s; stop: ${report.stopReason})`,
  );
  if (c.readers + c.irqReaders > 0) lines.push(`readers inside together: up to ${report.maxReadersInsideTogether}`);
  lines.push(
    `lock: ${report.lockStats.contended} slow-path acquisitions, ${report.lockStats.sleeps} sleeps, ${report.lockStats.corruptions} corruptions`,
  );
  const e = report.environment;
  lines.push(
    `node ${e.node} (V8 ${e.v8}), availableParallelism ${e.availableParallelism}, load average ${e.loadAverage1m.toFixed(2)} at start`,
  );
  return lines;
}
