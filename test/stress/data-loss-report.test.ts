/**
 * The report's "lost data" block: on real threads, DELETE/CREATE onto different memory under the
 * lockless entry check loses hardware writes (the kernel's: lost-write findings), under generation
 * none; and the verdict sentence for the cases a run can end in.
 */
import { describe, expect, it } from 'vitest';
import { findingsOf, firing, shortStress } from './stress-support.js';
import { buildDataLossReport, formatDataLoss } from '../../src/stress/data-loss-report.js';
import { createRetiredMemoryBuffer, LW_BY_KERNEL, LW_BY_VMM, LW_HW_TICK, LW_STEAL_RECORD, tallyLostWrite } from '../../src/oracle/retired-memory.js';
import type { EndOfRunTotals } from '../../src/stress/end-of-run.js';

const DELETE_CREATE = { workload: 'steal,xen,nested', memslotOps: 'delete-create', memslotRate: 100, vcpus: 2 } as const;
const END: EndOfRunTotals = { eventsSent: 0, eventsConsumed: 0, eventsPending: 0, posted: 0, nestedConsumed: 0, postedPending: 0, eventsPendingUnmapped: 2, postedPendingUnmapped: 3, stealRecordsUnmapped: 0, hwTicksUnmapped: 1 };

describe('lost data under DELETE/CREATE onto different memory (threads)', () => {
  it('lockless: the hardware keeps writing into the memory a DELETE took away after it returned; the report names it as the kernel\'s loss', async () => {
    // Bounded retries: each run must race an entry against a DELETE's return; 3 runs of 3 s.
    let report = await shortStress({ ...DELETE_CREATE, strategy: 'lockless', duration: 3, seed: 21 });
    for (let i = 0; i < 2 && findingsOf(report, 'lost-write') === 0; i++) report = await shortStress({ ...DELETE_CREATE, strategy: 'lockless', duration: 3, seed: 22 + i });
    expect(findingsOf(report, 'lost-write'), firing(report)).toBeGreaterThan(0);
    const d = report.dataLoss;
    expect(d.deletesOntoOtherMemory).toBeGreaterThan(0);
    const kernel = d.rows.filter((r) => r.afterDeleteByKernel > 0).map((r) => r.what);
    expect(kernel.length).toBeGreaterThan(0);
    // Only the hardware's writes: the host-uses users' checks compare the generation.
    for (const what of kernel) expect(['vAPIC hardware tick', 'posted interrupts (PIR -> IRR)']).toContain(what);
    expect(d.verdict).toMatch(/^The kernel lost data: after a DELETE had returned, /);
    const f = report.findings.find((x) => x.property === 'lost-write')!;
    expect(f.cache).toMatch(/vAPIC page|PI descriptor/);
    expect(f.message).toMatch(/memory the memslot DELETE #\d+ took away/);
  }, 60_000);

  it('generation: the same workload loses nothing, and the verdict gives the evidence (writes checked, none by a section or entry begun after a DELETE)', async () => {
    const report = await shortStress({ ...DELETE_CREATE, strategy: 'generation', duration: 3, seed: 21 });
    expect(firing(report)).toBe('none');
    const d = report.dataLoss;
    expect(d.deletesOntoOtherMemory).toBeGreaterThan(10);
    expect(d.writesChecked).toBeGreaterThan(1000);
    expect(d.rows.every((r) => r.afterDeleteByKernel === 0)).toBe(true);
    expect(d.verdict).toMatch(/^The kernel lost no data to the [\d,]+ DELETEs onto different memory: of [\d,]+ writes checked/);
  }, 60_000);
});

describe('the lost-data verdict', () => {
  it('names each kind the kernel lost, with its amount and data; prints the table and what was left in unmapped memory', () => {
    const rm = new Int32Array(createRetiredMemoryBuffer(8, 2));
    tallyLostWrite(rm, 0, LW_HW_TICK, LW_BY_KERNEL, 5);
    tallyLostWrite(rm, 1, LW_HW_TICK, LW_BY_KERNEL, 2);
    tallyLostWrite(rm, 1, LW_STEAL_RECORD, LW_BY_VMM, 4);
    const d = buildDataLossReport(rm, 3, 100, END);
    expect(d.rows.find((r) => r.what === 'vAPIC hardware tick')).toMatchObject({ afterDeleteByKernel: 7, duringDeleteByVmm: 0 });
    expect(d.rows.find((r) => r.what === 'steal-time record')).toMatchObject({ duringDeleteByVmm: 4, afterDeleteByKernel: 0 });
    expect(d.verdict).toBe('The kernel lost data: after a DELETE had returned, vAPIC hardware tick 7 (records) went into the memory it took away, through translations from before it that the check let through (lost-write findings); the guest never sees them.');
    const text = formatDataLoss(d).join('\n');
    expect(text).toMatch(/^lost data: 3 DELETEs re-created onto different memory; 100 writes checked/);
    expect(text).toContain('2 events and 3 posted interrupts pending; the last steal-time record of 0 vCPUs, the last hardware tick of 1');
  });

  it('with no kernel loss it counts the VMM\'s and the in-flight writes; with no DELETE onto other memory it says nothing could be lost that way and prints no block', () => {
    const rm = new Int32Array(createRetiredMemoryBuffer(8, 1));
    tallyLostWrite(rm, 0, LW_STEAL_RECORD, LW_BY_VMM, 4);
    expect(buildDataLossReport(rm, 3, 100, END).verdict).toBe(
      'The kernel lost no data to the 3 DELETEs onto different memory: of 100 writes checked (host-uses under a passing check, and the vCPU hardware\'s), 4 went into memory being deleted while its DELETE was in progress (the VMM\'s loss), 0 after it returned by a section or guest entry begun before it (in flight), and none by one begun after it (a stale translation would have been a lost-write finding).',
    );
    const none = buildDataLossReport(rm, 0, 100, END);
    expect(none.verdict).toMatch(/^No memslot was DELETEd and re-created onto different memory/);
    expect(formatDataLoss(none)).toEqual([]);
  });
});
