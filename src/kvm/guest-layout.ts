/**
 * Where things are: the guest-physical layout (memslots and the pages the gpc users use), the gpc
 * indices, and the thread indices of one VM. Pure arithmetic on the vCPU count; every thread
 * derives the same numbers.
 *
 *   slot 0 SHINFO   gfns [0, 3)             Xen shared_info candidates (the juggler re-points between them)
 *   slot 1 STEAL    gfns [3, 3+n)           one steal-time record page per vCPU
 *   slot 2 NESTED   gfns [3+n, 3+3n)        per vCPU v: virtual-APIC page 2v, posted-interrupt descriptor 2v+1
 *   slot 3 SPARE    8 gfns                  never cached: targets of unrelated invalidations
 *   slot 4 DUMMY    1 gfn                   added and deleted to bump the generation (xen_shinfo_test)
 *
 *   gpc 0 shared_info (VM-wide, host-uses); gpc 1+v steal time of vCPU v (host-uses);
 *   gpc 1+n+2v virtual-APIC page of v, 1+n+2v+1 posted-interrupt descriptor of v (guest-uses)
 *
 *   threads: vcpu v = v; notifier = n; evtchn = n+1; juggler = n+2; main = n+3
 */
export const SHINFO_CANDIDATES = 3;
export const SPARE_PAGES = 8;
export const SLOT_SHINFO = 0;
export const SLOT_STEAL = 1;
export const SLOT_NESTED = 2;
export const SLOT_SPARE = 3;
export const SLOT_DUMMY = 4;
export const MODEL_SLOTS = 5;
/** Host virtual windows per memslot (current + retiring + one free to move into). */
export const WINDOWS_PER_SLOT = 3;

export const GPC_SHINFO = 0;

export interface GuestLayout {
  readonly vcpus: number;
  readonly gfns: number;
  readonly slotBase: readonly number[];
  readonly slotPages: readonly number[];
  /** Largest slot: the size of a host virtual window. */
  readonly windowPages: number;
  readonly gpcs: number;
  readonly threadNotifier: number;
  readonly threadEvtchn: number;
  readonly threadJuggler: number;
  readonly threadMain: number;
  /** Threads with a flight-recorder ring, SRCU line and stats line (workers + main). */
  readonly threads: number;
}

export function guestLayout(vcpus: number): GuestLayout {
  const slotPages = [SHINFO_CANDIDATES, vcpus, 2 * vcpus, SPARE_PAGES, 1];
  const slotBase: number[] = [];
  let next = 0;
  for (const pages of slotPages) {
    slotBase.push(next);
    next += pages;
  }
  return {
    vcpus,
    gfns: next,
    slotBase,
    slotPages,
    windowPages: Math.max(...slotPages),
    gpcs: 1 + 3 * vcpus,
    threadNotifier: vcpus,
    threadEvtchn: vcpus + 1,
    threadJuggler: vcpus + 2,
    threadMain: vcpus + 3,
    threads: vcpus + 4,
  };
}

export function shinfoGfn(candidate: number): number {
  return candidate;
}
export function stealGfn(vcpu: number): number {
  return SHINFO_CANDIDATES + vcpu;
}
export function vapicGfn(vcpus: number, vcpu: number): number {
  return SHINFO_CANDIDATES + vcpus + 2 * vcpu;
}
export function piDescGfn(vcpus: number, vcpu: number): number {
  return SHINFO_CANDIDATES + vcpus + 2 * vcpu + 1;
}
export function spareGfn(vcpus: number, i: number): number {
  return SHINFO_CANDIDATES + 3 * vcpus + i;
}
export function stealGpc(vcpu: number): number {
  return 1 + vcpu;
}
export function vapicGpc(vcpus: number, vcpu: number): number {
  return 1 + vcpus + 2 * vcpu;
}
export function piDescGpc(vcpus: number, vcpu: number): number {
  return 1 + vcpus + 2 * vcpu + 1;
}
