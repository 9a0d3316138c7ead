/**
 * `b17-trylock`: Paul Durrant's "KVM: x86/xen: don't block on pfncache locks in
 * kvm_xen_set_evtchn_fast()" (v10-v13, Dec 2023 - Feb 2024; reposted by dwmw2 as v2 7/8 "avoid
 * blocking in hardirq context"), history B17: not merged, Sean Christopherson declined it
 * (ZdPQVP7eejq3eFjc@google.com: a read_trylock has no fairness guarantee). In irq context the fast
 * path takes the shinfo and vcpu_info gpc locks with read_trylock; a failure counts as a failed
 * check (shared_info: -EWOULDBLOCK, the event deferred to process context; vcpu_info: the
 * selector goes to the kernel-side copy). Its fallbacks are the cost B18
 * (21dadfcd665e, 20240115125707.1183-19-paul@xen.org) reduced: the campaign's B18 entry runs here.
 */
import { readTryLock } from '../../sync/rwlock.js';
import type { ModelContext } from '../model-context.js';
import { ST_FASTPATH_TRYLOCK_FAILS } from '../thread-stats.js';
import type { ProtocolVariant } from './protocol-variant.js';

/** read_trylock in irq context; a failure (a writer holds or waits for the lock) is counted as a fast-path fallback. */
export function trylockIrqReadLock(ctx: ModelContext, lock: number): boolean {
  if (readTryLock(ctx.gpcs, lock)) return true;
  ctx.counters[ST_FASTPATH_TRYLOCK_FAILS]! += 1;
  return false;
}

export const B17_TRYLOCK: ProtocolVariant = {
  name: 'b17-trylock',
  summary: 'kvm_xen_set_evtchn_fast in irq context read_trylocks the gpc locks and defers on failure (history B17, not merged)',
  source: 'Paul Durrant, "KVM: x86/xen: don\'t block on pfncache locks in kvm_xen_set_evtchn_fast()" v10-v13 (Dec 2023 - Feb 2024); declined in ZdPQVP7eejq3eFjc@google.com',
  steps: { irqReadLock: trylockIrqReadLock },
  stepSources: {
    irqReadLock: 'kvm_xen_set_evtchn_fast(): if (in_interrupt()) read_trylock(&gpc->lock), failure as a failed check (history B17)',
  },
};
