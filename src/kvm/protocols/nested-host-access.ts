/**
 * What the nested-VMX variants (seed-2021.ts, griffoul-v4.ts) share: where a vCPU's two nested
 * guest-uses caches are, the bookkeeping of KVM's own access to one of them through khva (oracle,
 * counters, trace), and L1's VMRESUME reload of vmcs02. The kernel steps each variant takes around
 * them (which lock, which check, refresh or not) stay in the variant's own module.
 */
import { checkKhvaAccessLocked } from '../../oracle/access-oracles.js';
import { STEP_NESTED_HOST_ACCESS, STEP_NESTED_L1_VMEXIT } from '../../trace/trace-steps.js';
import { NESTED_REG_PI, NESTED_REG_VAPIC, USER_NESTED_VMX } from '../cache-users.js';
import { G_GPA, G_KHVA, G_PFN, gpcBase } from '../gpc-layout.js';
import { registerPfn, type GuestRegisters } from '../guest-registers.js';
import { traceStep, type ModelContext } from '../model-context.js';
import { ST_NESTED_HOST_ACCESSES, ST_NESTED_HOST_PFN_MISMATCH, ST_NESTED_L1_VMEXITS } from '../thread-stats.js';
import { getNestedStatePages } from '../users/nested-pages.js';

/** The register of the vCPU's virtual-APIC page cache (vmx->nested.virtual_apic_cache). */
export function vapicRegister(gr: GuestRegisters): number {
  return gr.userRegister[USER_NESTED_VMX]! + NESTED_REG_VAPIC;
}

/** The register of the vCPU's posted-interrupt descriptor cache (vmx->nested.pi_desc_cache). */
export function piRegister(gr: GuestRegisters): number {
  return gr.userRegister[USER_NESTED_VMX]! + NESTED_REG_PI;
}

/**
 * KVM is about to use register r's cache through khva, holding its read lock (whatever the
 * variant's check said): runs the khva oracles, counts the access and whether khva's page is still
 * the page vmcs02 holds (a refresh outside nested_get_vmcs12_pages moves the cache, not vmcs02),
 * and logs it. Returns the Int32 index of khva in guest RAM, or -1 if khva is NULL (nothing to
 * access). Hot path.
 */
export function nestedKhvaAccessLocked(ctx: ModelContext, gr: GuestRegisters, r: number): number {
  const g = gr.cache[r]!;
  const base = gpcBase(g);
  const khva = ctx.gpcs[base + G_KHVA]!;
  if (khva < 0) return -1;
  checkKhvaAccessLocked(ctx, g);
  const pfn = ctx.gpcs[base + G_PFN]!;
  const hwPfn = registerPfn(gr, r);
  ctx.counters[ST_NESTED_HOST_ACCESSES]! += 1;
  if (pfn !== hwPfn) ctx.counters[ST_NESTED_HOST_PFN_MISMATCH]! += 1;
  traceStep(ctx, STEP_NESTED_HOST_ACCESS, g, ctx.gpcs[base + G_GPA]!, pfn, hwPfn);
  return khva >> 2;
}

/**
 * L1's VMLAUNCH/VMRESUME after an L2 -> L1 exit: nested_vmx_enter_non_root_mode(from_vmentry) ->
 * nested_get_vmcs12_pages, which checks (refreshing if needed) each cache and writes its pfn into
 * vmcs02. Counted and logged. Cold enough: a few per thousand exits.
 */
export function nestedL1Vmresume(ctx: ModelContext, gr: GuestRegisters): void {
  ctx.counters[ST_NESTED_L1_VMEXITS]! += 1;
  const ok = getNestedStatePages(ctx, gr);
  traceStep(ctx, STEP_NESTED_L1_VMEXIT, gr.cache[vapicRegister(gr)]!, -1, registerPfn(gr, vapicRegister(gr)), ok ? 1 : 0);
}

/**
 * How often the model's L2 exits go to L1 (per thousand exits): a model choice (the series gives
 * no rate), small enough that most re-entries take the fast path the entry check guards.
 */
export const L1_VMEXIT_PERMILLE = 20;
/**
 * How often an entry runs check_events / has_events on the nested pages (per thousand entries): a
 * model choice standing for KVM_REQ_EVENT / a pending nested posted interrupt (pi_pending).
 */
export const NESTED_EVENTS_PERMILLE = 250;
