/**
 * The events part of the end-of-run oracles on a one-thread VM: a Xen event still pending must be
 * reachable by its vCPU (selector bit with upcall_pending in its vcpu_info, or in its kernel-side
 * copy). Silent after real deliveries (through vcpu_info or the copy); fires when the vcpu_info
 * write is lost, as a write through a stale mapping would be.
 */
import { testVmConfig } from '../support/vm-config.js';
import { describe, expect, it } from 'vitest';
import { buildVm, type VmConfig } from '../../src/stress/build-vm.js';
import { runEndOfRunOracles } from '../../src/stress/end-of-run.js';
import { cacheNamed } from '../../src/kvm/cache-table.js';
import { guestLayout } from '../../src/kvm/guest-layout.js';
import { VCPU_INFO_OFFSET, workloadMask } from '../../src/kvm/cache-users.js';
import { gpcDeactivate } from '../../src/kvm/gpc.js';
import { filePfn } from '../../src/mem/host-page-table.js';
import { flushCounters, type ModelContext } from '../../src/kvm/model-context.js';
import { srcuEnter, srcuExit } from '../../src/kvm/srcu.js';
import { setEvtchnFast } from '../../src/kvm/users/xen-evtchn.js';
import { VI_PENDING_SEL } from '../../src/kvm/users/xen-vcpu-info.js';
import { PROP_EVENTS, END_EVENTS_NO_UPCALL } from '../../src/oracle/properties/events.js';
import { readFindingRecords, totalFindings } from '../../src/trace/findings.js';

const TABLE = guestLayout(2, 4096).caches;

function config(): VmConfig {
  return testVmConfig({ traceDepth: 32, workload: workloadMask(['xen']), eventPermille: 0, stealPermille: 0, postPermille: 0 });
}

function send(main: ModelContext, port: number): number {
  const srcu = srcuEnter(main);
  const rc = setEvtchnFast(main, port, false);
  srcuExit(main, srcu);
  return rc;
}

describe('end-of-run events: pending Xen events can reach their vCPU', () => {
  it('after deliveries through vcpu_info and through the kernel-side copy (vcpu_info inactive), nothing fires and the events balance', () => {
    const { main } = buildVm(config());
    expect(send(main, 0)).toBe(1);
    const srcu = srcuEnter(main);
    gpcDeactivate(main, cacheNamed(TABLE, 'vcpu_info vcpu-1').index);
    srcuExit(main, srcu);
    expect(send(main, 1)).toBe(1);
    flushCounters(main);
    const totals = runEndOfRunOracles(main, true);
    expect(totals.eventsSent).toBe(2);
    expect(totals.eventsPending).toBe(2);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('an event whose vcpu_info selector write was lost (as through a stale mapping) is caught: pending, but nothing tells the vCPU', () => {
    const { main } = buildVm(config());
    expect(send(main, 1)).toBe(1);
    const vi = cacheNamed(TABLE, 'vcpu_info vcpu-1');
    main.ram[filePfn(main.host.mm, vi.gfn) * main.pageInts + (VCPU_INFO_OFFSET >> 2) + VI_PENDING_SEL] = 0;
    flushCounters(main);
    runEndOfRunOracles(main, true);
    const records = readFindingRecords(main.findings).filter((r) => r.property === PROP_EVENTS);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ c: END_EVENTS_NO_UPCALL, a: 1, b: 1, cache: vi.index });
  });
});
