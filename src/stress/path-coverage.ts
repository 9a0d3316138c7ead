/**
 * Which of mainline's paths a run exercised: a verdict is evidence only about the code that ran.
 * Each path names the upstream function it models, the run's count of it, and whether the run's
 * configuration turned it on (its workload, memslot operation or rate). The report lists every
 * path; an enabled path with a count of 0 is called out, so "0 findings" is never read as
 * covering code that did not run.
 *
 * Adding a path: one entry here, counted by an existing total (src/stress/stress-report.ts).
 */
import type { MemslotOpName } from './control-plane.js';
import type { StressConfig } from './stress-config.js';
import type { StressTotals } from './stress-report.js';

export interface PathRow {
  /** Short name in the report. */
  readonly name: string;
  /** The upstream function(s) and case it models. */
  readonly upstream: string;
  readonly count: number;
  /** The run's configuration turned the path on (else the count is 0 by construction). */
  readonly enabled: boolean;
  /** enabled && count > 0. */
  readonly ran: boolean;
}

interface PathDecl {
  readonly name: string;
  readonly upstream: string;
  readonly count: (t: StressTotals) => number;
  readonly enabled: (c: StressConfig) => boolean;
}

const hasWorkload = (c: StressConfig, w: string): boolean => c.workload.includes(w as StressConfig['workload'][number]);
const hasOp = (c: StressConfig, op: MemslotOpName): boolean => c.memslotRate > 0 && c.memslotOps.includes(op);
const xen = (c: StressConfig): boolean => hasWorkload(c, 'xen');
const runstate = (c: StressConfig): boolean => hasWorkload(c, 'runstate');

export const MAINLINE_PATHS: readonly PathDecl[] = [
  {
    name: 'refresh retried',
    upstream: 'hva_to_pfn_retry: mmu_notifier_retry_cache said retry',
    count: (t) => t.refreshRetries,
    enabled: (c) => c.invalRate > 0,
  },
  {
    name: 'updater waited for the count',
    upstream: 'kvm_swap_active_memslots: wait while mn_active_invalidate_count',
    count: (t) => t.memslotCountWaits,
    enabled: (c) => c.memslotRate > 0 && c.invalRate > 0,
  },
  {
    name: 'DELETE, CREATE onto other memory',
    upstream: 'kvm_set_memslot(KVM_MR_DELETE: INVALID then gone), then KVM_MR_CREATE over the other bank',
    count: (t) => Math.min(t.memslotDeletes, t.memslotCreates),
    enabled: (c) => hasOp(c, 'delete-create'),
  },
  {
    name: 'MR_MOVE',
    upstream: 'kvm_set_memslot(KVM_MR_MOVE): INVALID, then the slot at its new gfns',
    count: (t) => t.memslotMoves,
    enabled: (c) => hasOp(c, 'move'),
  },
  {
    name: 'FLAGS_ONLY',
    upstream: 'kvm_set_memslot(KVM_MR_FLAGS_ONLY): dirty logging on/off',
    count: (t) => t.memslotFlagsOnly,
    enabled: (c) => hasOp(c, 'flags-only'),
  },
  {
    name: 'eviction waited for a vCPU',
    upstream: 'the guest-uses eviction (request + kick + wait for OUTSIDE_GUEST_MODE)',
    count: (t) => t.evictionWaits,
    enabled: (c) => hasWorkload(c, 'nested') && c.invalRate > 0,
  },
  {
    name: 'event delivered from irq',
    upstream: 'irqfd_wakeup / xen_timer_callback -> kvm_xen_set_evtchn_fast under read_lock_irqsave',
    count: (t) => t.eventsFromIrq,
    enabled: (c) => xen(c) && c.eventRate > 0,
  },
  {
    name: 'irq delivery deferred',
    upstream: 'kvm_xen_set_evtchn_fast -EWOULDBLOCK -> irqfd work item / timer_pending -> kvm_xen_set_evtchn',
    count: (t) => t.eventsDeferred,
    enabled: (c) => xen(c) && c.eventRate > 0,
  },
  {
    name: 'evtchn slow path refreshed',
    upstream: 'kvm_xen_set_evtchn: do { fast; kvm_gpc_refresh(shinfo) } while (!rc)',
    count: (t) => t.slowPathSends,
    enabled: (c) => xen(c) && c.eventRate > 0,
  },
  {
    name: 'vcpu_info check failed',
    upstream: 'kvm_xen_set_evtchn_fast: evtchn_pending_sel into the kernel-side copy, KVM_REQ_UNBLOCK',
    count: (t) => t.vcpuInfoFallbacks,
    enabled: (c) => xen(c) && c.eventRate > 0,
  },
  {
    name: 'Xen cache attached by GPA',
    upstream: 'KVM_XEN_ATTR_TYPE_SHARED_INFO / _VCPU_INFO: kvm_gpc_activate(gpa)',
    count: (t) => t.xenAttachGpa,
    enabled: (c) => xen(c) && c.xenAttach !== 'hva',
  },
  {
    name: 'Xen cache attached by HVA',
    upstream: 'KVM_XEN_ATTR_TYPE_SHARED_INFO_HVA / _VCPU_INFO_HVA: kvm_gpc_activate_hva(uhva)',
    count: (t) => t.xenAttachHva,
    enabled: (c) => xen(c) && c.xenAttach !== 'gpa',
  },
  {
    name: 'shared_info at an HVA in no memslot',
    upstream: 'kvm_gpc_activate_hva at the overlay page (the 6.9 rationale): no generation, no memslot',
    count: (t) => t.xenAttachOverlay,
    enabled: (c) => xen(c) && c.xenAttach !== 'gpa',
  },
  {
    name: 'invalidation outside every memslot',
    upstream: 'kvm_handle_hva_range found no memslot: count++/count-- only, no seq++',
    count: (t) => t.invalidationsOutsideMemslots,
    enabled: (c) => c.invalRate > 0,
  },
  {
    name: 'shared_info juggled',
    upstream: 'KVM_XEN_HVM_SET_ATTR(SHARED_INFO): kvm_gpc_activate / kvm_gpc_deactivate (xen_shinfo_test)',
    count: (t) => t.juggles,
    enabled: (c) => xen(c) && c.juggleRate > 0,
  },
  {
    name: 'vcpu_info moved within its page',
    upstream: 'KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO at a new offset: kvm_gpc_activate, __kvm_gpc_refresh keeps the mapping (khva = old_khva + offset)',
    count: (t) => t.vcpuInfoMoves,
    enabled: (c) => xen(c) && c.juggleRate > 0,
  },
  {
    name: 'runstate across a page',
    upstream: 'kvm_xen_update_runstate_guest: gpc1 then gpc2 (SINGLE_DEPTH_NESTING)',
    count: (t) => t.runstateSplitUpdates,
    enabled: runstate,
  },
  {
    name: 'runstate atomic trylock gave up',
    upstream: 'kvm_xen_update_runstate_guest(atomic): read_trylock failed, no update',
    count: (t) => t.runstateTrylockGiveUps,
    enabled: runstate,
  },
  {
    name: 'runstate gpc2 re-activated',
    upstream: 'kvm_xen_update_runstate_guest: gpc2 check failed -> kvm_gpc_activate(gpc2) and retry',
    count: (t) => t.runstateGpc2Activations,
    enabled: runstate,
  },
];

/** Every path's row for this run. */
export function pathCoverage(config: StressConfig, totals: StressTotals): PathRow[] {
  return MAINLINE_PATHS.map((p) => {
    const enabled = p.enabled(config);
    const count = p.count(totals);
    return { name: p.name, upstream: p.upstream, count, enabled, ran: enabled && count > 0 };
  });
}

/** The enabled paths that did not run (the report's note names them). */
export function pathsNotRun(rows: readonly PathRow[]): string[] {
  return rows.filter((r) => r.enabled && !r.ran).map((r) => r.name);
}
