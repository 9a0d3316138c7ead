/**
 * The stress report's account of data written into memory a memslot DELETE took away (the
 * delete-create operation re-creates the slot onto different memory): per kind of data, how much
 * landed there while the DELETE was in progress (the VMM threw it away), after it returned by a
 * section or guest entry that began before (in flight), and after it by one that began later (the
 * kernel lost it: lost-write findings); and what was still pending or last written there at the end.
 */
import { LW_BY_KERNEL, LW_BY_VMM, LW_IN_FLIGHT, LW_KIND_DATA, LW_KIND_NAMES, sumLostWriteTallies } from '../oracle/retired-memory.js';
import type { EndOfRunTotals } from './end-of-run.js';

export interface LostWriteRow {
  /** What was written ("steal-time record", ..., "posted interrupts (PIR -> IRR)"). */
  what: string;
  /** Which data the report's conservation checks it is: "records", "events" or "posted interrupts". */
  data: string;
  /** Amounts (records, events, selectors, interrupts) written into retired memory, by whose loss. */
  duringDeleteByVmm: number;
  afterDeleteInFlight: number;
  afterDeleteByKernel: number;
}

export interface DataLossReport {
  /** DELETEs of a slot re-created onto different memory. */
  deletesOntoOtherMemory: number;
  /** Writes the lost-write oracle classified (host-uses under a passing check, and the vCPU hardware's). */
  writesChecked: number;
  rows: LostWriteRow[];
  /** At the end, in memory no memslot maps (the VMM threw it away with the memory). */
  atEnd: { eventsPending: number; postedPending: number; stealRecords: number; hwTicks: number };
  /** One sentence: which data the kernel lost, or the evidence that it lost none. */
  verdict: string;
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

export function buildDataLossReport(retired: Int32Array, deletesOntoOtherMemory: number, writesChecked: number, end: EndOfRunTotals): DataLossReport {
  const tallies = sumLostWriteTallies(retired);
  const rows: LostWriteRow[] = tallies.map((t, k) => ({
    what: LW_KIND_NAMES[k]!,
    data: LW_KIND_DATA[k]!,
    duringDeleteByVmm: t[LW_BY_VMM]!,
    afterDeleteInFlight: t[LW_IN_FLIGHT]!,
    afterDeleteByKernel: t[LW_BY_KERNEL]!,
  }));
  const atEnd = { eventsPending: end.eventsPendingUnmapped, postedPending: end.postedPendingUnmapped, stealRecords: end.stealRecordsUnmapped, hwTicks: end.hwTicksUnmapped };
  return { deletesOntoOtherMemory, writesChecked, rows, atEnd, verdict: dataLossVerdict(deletesOntoOtherMemory, writesChecked, rows) };
}

function dataLossVerdict(deletes: number, checked: number, rows: LostWriteRow[]): string {
  if (deletes === 0) return 'No memslot was DELETEd and re-created onto different memory in this run (--memslot-ops without delete-create, or --memslot-rate 0): nothing could be lost that way.';
  const kernel = rows.filter((r) => r.afterDeleteByKernel > 0);
  const vmm = rows.reduce((s, r) => s + r.duringDeleteByVmm, 0);
  const inFlight = rows.reduce((s, r) => s + r.afterDeleteInFlight, 0);
  if (kernel.length > 0) {
    return `The kernel lost data: after a DELETE had returned, ${kernel.map((r) => `${r.what} ${n(r.afterDeleteByKernel)} (${r.data})`).join(', ')} went into the memory it took away, through translations from before it that the check let through (lost-write findings); the guest never sees them.`;
  }
  return `The kernel lost no data to the ${n(deletes)} DELETEs onto different memory: of ${n(checked)} writes checked (host-uses under a passing check, and the vCPU hardware's), ${n(vmm)} went into memory being deleted while its DELETE was in progress (the VMM's loss), ${n(inFlight)} after it returned by a section or guest entry begun before it (in flight), and none by one begun after it (a stale translation would have been a lost-write finding).`;
}

export function formatDataLoss(d: DataLossReport): string[] {
  if (d.deletesOntoOtherMemory === 0) return [];
  const out: string[] = [];
  out.push(`lost data: ${n(d.deletesOntoOtherMemory)} DELETEs re-created onto different memory; ${n(d.writesChecked)} writes checked; amounts written into the memory a DELETE took away:`);
  // Columns: written during the DELETE (the VMM's loss), after it returned by a section or entry
  // begun before it (in flight), after it by one begun after it (the kernel's: lost-write).
  out.push('  (during: while the DELETE ran, the VMM\'s loss; in flight: after it returned, by a section or guest entry begun before it; after: by one begun after it, the kernel\'s, a lost-write finding)');
  out.push('  what                            data                during (VMM)  in flight  after (kernel)');
  for (const r of d.rows) {
    out.push(`  ${r.what.padEnd(30)}  ${r.data.padEnd(18)}  ${n(r.duringDeleteByVmm).padStart(12)}  ${n(r.afterDeleteInFlight).padStart(9)}  ${n(r.afterDeleteByKernel).padStart(14)}`);
  }
  const e = d.atEnd;
  out.push(`  at the end, in memory no memslot maps (thrown away with it): ${n(e.eventsPending)} events and ${n(e.postedPending)} posted interrupts pending; the last steal-time record of ${n(e.stealRecords)} vCPUs, the last hardware tick of ${n(e.hwTicks)}`);
  out.push(`  ${d.verdict}`);
  return out;
}
