/** The stress report as text, jcstress style: properties, threads, totals, latencies, findings, notes. */
import type { LatencySummary } from '../harness/histogram.js';
import { INTERLEAVING_COLUMNS, formatInterleaving } from './interleaving-text.js';
import type { StressReport } from './stress-report.js';
import { racingSteps } from './racing-steps.js';
import { REPORT_WIDTH, fitLines, wrapText } from '../util/wrap-text.js';
import { formatDataLoss } from './data-loss-report.js';

const n = (x: number): string => Math.round(x).toLocaleString('en-US');
const rate = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M/s` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k/s` : `${x.toFixed(1)}/s`);
const us = (l: LatencySummary): string =>
  l.count === 0 ? 'none' : `p50 ${l.p50.toFixed(0)} µs, p90 ${l.p90.toFixed(0)}, p99 ${l.p99.toFixed(0)}, p99.9 ${l.p999.toFixed(0)}, max ${l.max.toFixed(0)} (n=${n(l.count)})`;

export function formatStressReport(report: StressReport): string[] {
  const c = report.config as Record<string, unknown>;
  const out: string[] = [];
  out.push(
    `gpc-lab stress: protocol ${report.protocol.name}, strategy ${String(c.strategy)}, ${String(c.vcpus)} vCPUs, ${report.elapsedS.toFixed(1)} s, seed ${report.seed} (stop: ${report.stopReason})`,
  );
  if (report.protocol.name !== 'mainline') {
    out.push(`protocol ${report.protocol.name} (${report.protocol.source}) replaces ${report.protocol.steps.map((s) => s.step).join(', ') || 'nothing'} of mainline`);
  }
  out.push(
    `workload ${(c.workload as string[]).join('+')}; invalidations ${String(c.invalRate)}/s (${String(c.inflight)} in flight), memslot updates ${String(c.memslotRate)}/s, juggling ${String(c.juggleRate)}/s, events ${String(c.eventRate)}/s, xen attach ${String(c.xenAttach)}; oracles ${c.oracles ? 'on' : 'off'}`,
  );
  const fixes = (c.fixes as string[] | undefined) ?? [];
  if (fixes.length > 0) out.push(`fix switches on (would-be upstream fixes): ${fixes.join(', ')}`);
  out.push('');
  out.push('  property                 checks            findings  verdict');
  for (const p of report.properties) {
    const verdict = p.findings > 0 ? 'FORBIDDEN SEEN' : p.checks > 0 ? 'ok' : '(not exercised)';
    out.push(`  ${p.name.padEnd(22)} ${n(p.checks).padStart(14)} ${n(p.findings).padStart(12)}  ${verdict}`);
  }
  out.push('');
  // Two tables of one row per thread, each within the report's 100 columns.
  out.push('  thread      status   vmentries   cancels  kick-exits   refreshes  retries(max)');
  for (const t of report.threads) {
    out.push(
      `  ${t.name.padEnd(10)}  ${t.status.padEnd(7)} ${n(t.vmentries).padStart(10)} ${n(t.entryCancels).padStart(9)} ${n(t.kickExits).padStart(11)} ${n(t.refreshes).padStart(11)} ` +
        `${`${n(t.refreshRetries)}(${t.maxRetries})`.padStart(13)}` +
        (t.error ? `  error: ${t.error.split('\n')[0]}` : ''),
    );
  }
  out.push('');
  out.push('  thread      checks ok/failed  invalidations  evictions(waited)  events sent/dropped  juggles');
  for (const t of report.threads) {
    out.push(
      `  ${t.name.padEnd(10)}  ${`${n(t.checksOk)}/${n(t.checksFailed)}`.padStart(16)}  ${n(t.invalidations).padStart(13)} ` +
        `${`${n(t.evictions)}(${n(t.evictionWaits)})`.padStart(18)}  ${`${n(t.eventsSent)}/${n(t.eventsDropped)}`.padStart(19)}  ${n(t.juggles).padStart(7)}`,
    );
  }
  const busiest = [...report.caches].sort((a, b) => b.retries - a.retries).slice(0, 5).filter((c) => c.refreshes > 0);
  if (busiest.length > 0) {
    out.push('');
    out.push('  cache (most refresh retries)              refreshes   retries  max   failed  invalidated');
    for (const c of busiest) {
      out.push(`  ${c.name.padEnd(40)} ${n(c.refreshes).padStart(9)} ${n(c.retries).padStart(9)} ${String(c.maxRetries).padStart(4)} ${n(c.refreshFailures).padStart(8)} ${n(c.invalidated).padStart(12)}`);
    }
  }
  const tt = report.totals;
  const r = report.rates;
  out.push('');
  out.push(`totals: ${n(tt.vmentries)} vmentries (${rate(r.vmentries)}), ${n(tt.guestSteps)} guest steps (${rate(r.guestSteps)}), ${n(tt.checks)} cache checks (${rate(r.checks)}), ${n(tt.entryChecks)} entry checks`);
  out.push(`        ${n(tt.invalidations)} invalidations (${rate(r.invalidations)}; ${n(tt.invalidationsThatCleared)} cleared a cache, ${n(tt.pagesFreed)} pages freed, ${n(tt.windowUnmaps)} old-alias unmaps), ${n(tt.evictions)} evictions (${n(tt.evictionWaits)} waited)`);
  out.push(`        ${n(tt.refreshes)} refreshes (${rate(r.refreshes)}; ${n(tt.refreshRetries)} retries), ${n(tt.getNestedStatePages)} GET_NESTED_STATE_PAGES, ${n(tt.stealWrites)} steal-time writes, ${n(tt.oldGenerationEntries)} entries with an old generation but an unchanged translation`);
  out.push(`        ${n(tt.memslotUpdates)} memslot publishes: ${n(tt.memslotCreates)} CREATE, ${n(tt.memslotDeletes)} DELETE, ${n(tt.memslotMoves)} MR_MOVE, ${n(tt.memslotFlagsOnly)} FLAGS_ONLY${tt.memslotRepointsIllegal > 0 ? `, ${n(tt.memslotRepointsIllegal)} illegal hva re-points` : ''} (${n(tt.memslotMovesSkipped)} skipped, ${n(tt.memslotRejected)} rejected), ${n(tt.juggles)} shared_info juggles`);
  out.push(`        ${n(tt.memslotSwaps)} memslot swaps, ${n(tt.memslotCountWaits)} waited for in-flight invalidations (${tt.memslotCountWaitMs.toFixed(1)} ms in all, longest ${tt.memslotCountWaitMaxMs.toFixed(1)} ms; ${n(tt.memslotCountWaitsStarved)} longer than --updater-timeout ${String(c.updaterTimeoutS)} s)`);
  out.push(`        events: ${n(tt.eventsSent)} delivered (${n(tt.slowPathSends)} via the slow path, ${n(tt.eventsFromIrq)} from irq, ${n(tt.eventsDeferred)} deferred from irq, ${n(tt.vcpuInfoFallbacks)} vcpu_info fallbacks, ${n(tt.vcpuInfoMoves)} vcpu_info moves within its page (${n(tt.vcpuInfoLateCarries)} carried over later)), ${n(tt.eventsDropped)} dropped (shared_info refresh failed: inactive or no slot), ${countUpTo(tt.eventsConsumed, tt.eventsSent, 'consumed', 'sent')}, ${countUpTo(tt.eventsPendingAtEnd, tt.eventsSent, 'pending at the end', 'sent')}`);
  out.push(`        xen attach: ${n(tt.xenAttachGpa)} by GPA, ${n(tt.xenAttachHva)} by HVA (${n(tt.xenAttachOverlay)} of shared_info at the overlay page outside every memslot); ${n(tt.invalidationsOutsideMemslots)} invalidations outside every memslot (no seq); ${n(tt.refreshInvalidationsInWindow)} refresh windows saw an invalidation end, ${n(tt.refreshSeqlessInstalls)} of them installed with no seq moved (S1)`);
  out.push(`        runstate: ${n(tt.runstateUpdates)} updates (${n(tt.runstateSplitUpdates)} across a page boundary), atomic give-ups ${n(tt.runstateTrylockGiveUps)} trylock / ${n(tt.runstateCheckGiveUps)} check, ${n(tt.runstateGpc2Activations)} gpc2 re-activations`);
  out.push(`        posted interrupts: ${n(tt.posted)} posted, ${countUpTo(tt.nestedConsumed, tt.posted, 'taken by the guest', 'posted')}, ${countUpTo(tt.postedPendingAtEnd, tt.posted, 'pending at the end', 'posted')}`);
  if (tt.nestedHostAccesses + tt.nestedL1Vmexits > 0) {
    out.push(`        nested: ${n(tt.nestedHostAccesses)} KVM accesses to the nested pages through khva (${n(tt.nestedHostPfnMismatches)} on a page vmcs02 did not hold), ${n(tt.nestedL1Vmexits)} exits to L1 with a VMRESUME reload`);
  }
  if (tt.gpcInvalidationWaits + tt.gpcInflightInvalidations + tt.gmemInvalidations > 0) {
    out.push(`        variant steps: ${n(tt.gpcInvalidationWaits)} refresh waits for an invalidation of the uhva, ${n(tt.gpcInflightInvalidations)} range_end clears of needs_invalidation with valid already 0, ${n(tt.gmemInvalidations)} guest_memfd invalidations`);
  }
  for (const line of formatDataLoss(report.dataLoss)) out.push(line);
  out.push(
    `cost:   event-channel fast-path read_trylock failures ${n(tt.fastPathTrylockFails)}; notifier gpc hook ${tt.invalidations > 0 ? (tt.invalidationHookUs / tt.invalidations).toFixed(1) : '0'} µs per invalidation (${(tt.invalidationHookUs / 1000).toFixed(1)} ms in all); refresh retries max ${n(tt.maxRefreshRetries)}`,
  );
  out.push(`latency: refresh ${us(report.latencyUs.refresh)}`);
  out.push(`         eviction wait ${us(report.latencyUs.evictionWait)}`);
  const samples = report.rssSamplesMiB;
  const tenth = samples.slice(Math.floor(samples.length / 10));
  out.push(
    `peak RSS: ${report.peakRssMiB.toFixed(0)} MiB` +
      (samples.length > 1 ? ` (once a second: first ${samples[0]}, min ${Math.min(...tenth)} / max ${Math.max(...tenth)} after the first 10% of the run, last ${samples[samples.length - 1]})` : ''),
  );
  out.push('');
  out.push('  mainline path                          ran        count  upstream');
  for (const p of report.paths) {
    const ran = !p.enabled ? 'off' : p.ran ? 'yes' : 'NOT RUN';
    const head = `  ${p.name.padEnd(36)} ${ran.padEnd(7)} ${n(p.count).padStart(10)}  `;
    out.push(...wrapText(p.upstream, REPORT_WIDTH, head, ' '.repeat(head.length)));
  }
  if (report.stall) {
    out.push('');
    for (const line of report.stall) out.push(line);
  }
  if (report.findingsTotal > 0) {
    out.push('');
    out.push(`findings: ${n(report.findingsTotal)} (details of the first of each property, with the interleaving that led to the first)`);
    const first = report.firstFinding;
    if (first) out.push(`  first: ${first.property} ${first.duringRun ? `${(first.atS * 1000).toFixed(0)} ms after the threads started` : 'at the end-of-run check'}`);
    report.findings.forEach((f, i) => {
      out.push(`  [${i + 1}] ${f.property} on ${f.thread}, ${f.cache ?? '-'}${f.pfn !== undefined ? `, pfn ${f.pfn}` : ''}: ${f.message}${f.repeats ? ` (recorded ${f.repeats} times)` : ''}`);
      const race = racingSteps(f);
      if (race.other) {
        const at = (e: { order: number; thread: string; step: string }): string => `#${e.order} ${e.thread} ${e.step}`;
        const pair = race.own ? [race.own, race.other].sort((a, b) => a.order - b.order).map(at).join('  vs  ') : `${at(race.other)}  vs  the check itself`;
        out.push(`      racing steps: ${pair} (two threads' last steps on its page or cache, a change preferred)`);
      }
      if (f.interleaving.length > 0) {
        out.push(`      interleaving (${INTERLEAVING_COLUMNS}):`);
        for (const line of formatInterleaving(f.interleaving)) out.push(`      ${line}`);
      }
    });
    const controlled = report.schedule.kind === 'random' || report.schedule.kind === 'pct' || report.schedule.kind === 'replay';
    out.push(
      controlled
        ? `  re-run (stops at the first finding; the same seeds give this schedule again; the schedule file replays it exactly): ${report.findings[0]?.rerun ?? report.rerun}`
        : `  re-run (stops at the first finding; real threads, so it replays the workload, not this interleaving): ${report.findings[0]?.rerun ?? report.rerun}`,
    );
  }
  if (report.internalErrors.length > 0) {
    out.push('');
    out.push('internal errors:');
    for (const e of report.internalErrors) out.push(`  ${e}`);
  }
  out.push('');
  for (const note of report.notes) out.push(`note: ${note}`);
  out.push(`verdict: ${report.verdict === 'unchecked' ? 'UNCHECKED (oracles off)' : report.verdict.toUpperCase()} (exit ${report.exitCode}); seed ${report.seed}; re-run: ${report.rerun}`);
  return fitToWidth(out);
}

/**
 * Every line wrapped to the report's 100 columns (src/util/wrap-text.ts), except the header (what
 * ran and how it stopped), table rows, the interleaving's event rows and lines that hold a command
 * to copy (re-run).
 */
function fitToWidth(lines: readonly string[]): string[] {
  return fitLines(lines, REPORT_WIDTH, (line) => line.startsWith('gpc-lab ') || /^\s+#\d/.test(line) || line.includes('npx gpc-lab'));
}

/**
 * "`value` `what`", or, when the count is impossible (more consumed/pending than were ever sent:
 * the guest read its counters from freed, poisoned pages, e.g. under --strategy none), the same
 * marked as corrupt rather than passed off as a count.
 */
function countUpTo(value: number, bound: number, what: string, boundWhat: string): string {
  if (value <= bound) return `${n(value)} ${what}`;
  return `${what}: corrupt (${n(value)} read from poisoned pages, more than the ${n(bound)} ${boundWhat})`;
}
