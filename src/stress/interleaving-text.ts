/** Structured interleaving events as aligned text lines (the report's and the stall dump's). */
import type { TraceEvent } from '../trace/flight-recorder.js';
import type { GuestLayout } from '../kvm/guest-layout.js';
import { interleavingEvents } from './interleaving.js';
import type { InterleavingEvent } from './stress-report.js';

/** The column header the lines line up under. */
export const INTERLEAVING_COLUMNS = 'global order; thread, step, cache, gfn, pfn, mmu_invalidate_seq, mn_active_invalidate_count, memslot generation, labelled args';

function formatEvent(e: InterleavingEvent): string {
  const order = `#${e.order}`.padStart(9);
  const thread = e.thread.padEnd(9);
  if (e.step === 'FINDING') {
    return `${order} ${thread} FINDING: ${String(e.args.property)}` + (e.cache !== undefined ? ` on gpc ${e.cache}` : '') + (e.pfn !== undefined ? `, pfn ${e.pfn}` : '');
  }
  const parts = [
    order,
    thread,
    e.step.padEnd(30),
    (e.cache !== undefined ? `gpc ${e.cache}` : '').padEnd(7),
    (e.gfn !== undefined ? `gfn ${e.gfn}` : '').padEnd(9),
    (e.pfn !== undefined ? `pfn ${e.pfn}` : '').padEnd(8),
    `seq ${e.seq}`.padEnd(10),
    `count ${e.count}`.padEnd(8),
    `gen ${e.generation}`,
  ];
  const args = Object.entries(e.args).map(([label, value]) => ` ${label}=${String(value)}`).join('');
  return parts.join(' ') + args + (e.repeats !== undefined ? `   x${e.repeats} (last #${e.lastOrder})` : '');
}

/** One line per event. */
export function formatInterleaving(events: readonly InterleavingEvent[]): string[] {
  return events.map(formatEvent);
}

/** Raw flight-recorder events as lines (folded, the last ones kept). */
export function formatEvents(layout: GuestLayout, events: readonly TraceEvent[], pageShift: number): string[] {
  return formatInterleaving(interleavingEvents(layout, events, pageShift));
}
