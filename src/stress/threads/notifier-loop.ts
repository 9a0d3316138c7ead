/**
 * The notifier thread: the host mm, changing mappings while the vCPUs run. At --inval-rate it
 * picks an event (migrate, zap/swap-out, write-protect) on a page the caches use, on an
 * unrelated spare page, or on the overlay page outside every memslot, and runs it inside an invalidation bracket; with --inflight k it begins k
 * events before finishing them, so k invalidations are in flight at once. It also unmaps the host
 * virtual windows the control plane retired after a memslot move (munmap of the old alias).
 *
 * Duty cycle: after each batch the notifier stays quiet at least as long as the batch took, so
 * mn_active_invalidate_count is 0 at least half of the time. An event that waits for a vCPU to be
 * evicted can take milliseconds here (the vCPU thread must get a core to see its kick, where a
 * real IPI forces the exit at once); back to back, such events would keep the count raised almost
 * always and starve every refresh (history B20) merely because threads outnumber cores. Overlap
 * is still available on purpose: --inflight k keeps k invalidations in flight together.
 *
 * `--invalidate unrelated` (VM_INVAL_TARGETS = INVAL_UNRELATED) is the history-B20 workload: only
 * spare pages that no cache uses, as a pipeline that begins the next invalidation before it
 * finishes the oldest, so --inflight k (>= 1) invalidations are in flight at every moment and
 * mn_active_invalidate_count never returns to 0 (retired windows are still unmapped as usual).
 */
import { WINDOW_INTS, WINDOW_RETIRING, W_STATE, overlayFilePage } from '../../mem/host-mm-layout.js';
import { reportProgress, setThreadState, shouldStop } from '../../harness/run-control.js';
import { MM_GMEM_CONVERT, MM_GMEM_PUNCH_HOLE, MM_MIGRATE, MM_PROTECT, MM_UNMAP_WINDOW, MM_ZAP, mmEventBegin, mmEventFinish } from '../../kvm/host-mm-events.js';
import { anyGmemSlot, pickGmemGfn } from '../../kvm/gmem-invalidate.js';
import { OVERLAY_PAGES, SPARE_PAGES, spareGfn } from '../../kvm/guest-layout.js';
import { flushCounters, type ModelContext } from '../../kvm/model-context.js';
import { Pacer, sleepMs } from '../../kvm/pacing.js';
import { modelNowMs } from '../../sched/turn-gate.js';
import { waitForPacedTurn } from './paced-turn.js';
import { guestFilePage } from '../../kvm/users/guest-memory.js';
import { THREAD_STATE_PACING } from './thread-states.js';
import { INVAL_UNRELATED, VM_INVAL_TARGETS } from '../../kvm/vm-layout.js';

/** Per mille of mixed-target events on the overlay page (memory outside every memslot: shared_info may be attached there by HVA). */
const OVERLAY_PERMILLE = 50;

/**
 * A file page to invalidate: the overlay page now and then (an invalidation outside every memslot:
 * count++ and the gpc hook, no seq), else the memory a user gfn (or a spare one) reaches now (its
 * own bank-0 page if no slot translates it).
 */
function pickTarget(ctx: ModelContext): number {
  const r = ctx.rng.below(1000);
  if (r < OVERLAY_PERMILLE) return overlayFilePage(ctx.host.mm, ctx.rng.below(OVERLAY_PAGES));
  const gfn = r < OVERLAY_PERMILLE + 150 ? spareGfn(ctx.layout, ctx.rng.below(SPARE_PAGES)) : ctx.rng.below(ctx.layout.userGfns);
  const filePage = guestFilePage(ctx, gfn);
  return filePage < 0 ? gfn : filePage;
}

function pickKind(ctx: ModelContext): number {
  const r = ctx.rng.below(100);
  return r < 50 ? MM_MIGRATE : r < 75 ? MM_ZAP : MM_PROTECT;
}

/** Per mille of mixed events that are guest_memfd ones, when guest_memfd slots exist (itazuri-gmem-rfc2). */
const GMEM_PERMILLE = 250;

/**
 * With guest_memfd slots (`gmem`: only the itazuri-gmem-rfc2 protocol makes them), now and then a
 * guest_memfd event instead: a punch hole or a private/shared conversion of one of their gfns (its
 * target is the gfn). Sets kinds[i]/targets[i]; false: an ordinary event is to be picked.
 */
function pickGmemEvent(ctx: ModelContext, gmem: boolean, kinds: Int32Array, targets: Int32Array, i: number): boolean {
  if (!gmem || ctx.rng.below(1000) >= GMEM_PERMILLE) return false;
  const gfn = pickGmemGfn(ctx);
  if (gfn < 0) return false;
  kinds[i] = ctx.rng.below(2) === 0 ? MM_GMEM_PUNCH_HOLE : MM_GMEM_CONVERT;
  targets[i] = gfn;
  return true;
}

function unmapRetiredWindows(ctx: ModelContext): number {
  const mm = ctx.host.mm;
  let done = 0;
  for (let w = 0; w < mm.windows; w++) {
    if (Atomics.load(mm.mem, mm.windowBase + w * WINDOW_INTS + W_STATE) !== WINDOW_RETIRING) continue;
    mmEventBegin(ctx, MM_UNMAP_WINDOW, w);
    mmEventFinish(ctx, MM_UNMAP_WINDOW, w);
    done++;
  }
  return done;
}

/** The B20 workload: unrelated invalidations, `inflight` of them always in flight (begin the next, then finish the oldest). */
function runUnrelatedPipeline(ctx: ModelContext, control: Int32Array, slotBase: number, ratePerS: number, inflight: number): void {
  const kinds = new Int32Array(inflight);
  const targets = new Int32Array(inflight);
  const pacer = new Pacer(ratePerS, ctx.rng);
  let oldest = 0;
  let inFlight = 0;
  let events = 0;
  while (!shouldStop(control)) {
    events += unmapRetiredWindows(ctx);
    const due = waitForPacedTurn(control, slotBase, pacer);
    reportProgress(control, slotBase, ++events);
    if (!due || shouldStop(control)) continue;
    const kind = pickKind(ctx);
    const spare = spareGfn(ctx.layout, ctx.rng.below(SPARE_PAGES));
    const spareFile = guestFilePage(ctx, spare);
    const target = spareFile < 0 ? spare : spareFile;
    mmEventBegin(ctx, kind, target);
    if (inFlight === inflight) {
      mmEventFinish(ctx, kinds[oldest]!, targets[oldest]!);
      kinds[oldest] = kind;
      targets[oldest] = target;
      oldest = (oldest + 1) % inflight;
    } else {
      const at = (oldest + inFlight) % inflight;
      kinds[at] = kind;
      targets[at] = target;
      inFlight++;
    }
    if ((events & 255) === 0) flushCounters(ctx);
  }
  for (; inFlight > 0; inFlight--, oldest = (oldest + 1) % inflight) mmEventFinish(ctx, kinds[oldest]!, targets[oldest]!);
  flushCounters(ctx);
}

export function runNotifierLoop(ctx: ModelContext, control: Int32Array, slotBase: number, ratePerS: number, inflight: number): void {
  if (ctx.vm[VM_INVAL_TARGETS] === INVAL_UNRELATED) {
    runUnrelatedPipeline(ctx, control, slotBase, ratePerS, inflight);
    return;
  }
  const kinds = new Int32Array(inflight);
  const targets = new Int32Array(inflight);
  const pacer = new Pacer(ratePerS, ctx.rng);
  // Mainline builds no guest_memfd slot, so it never performs a guest_memfd event.
  const gmem = anyGmemSlot(ctx);
  let events = 0;
  while (!shouldStop(control)) {
    events += unmapRetiredWindows(ctx);
    const due = waitForPacedTurn(control, slotBase, pacer);
    reportProgress(control, slotBase, ++events);
    if (!due || shouldStop(control)) continue;
    const startedAt = modelNowMs();
    for (let i = 0; i < inflight; i++) {
      if (!pickGmemEvent(ctx, gmem, kinds, targets, i)) {
        kinds[i] = pickKind(ctx);
        targets[i] = pickTarget(ctx);
      }
      mmEventBegin(ctx, kinds[i]!, targets[i]!);
    }
    for (let i = 0; i < inflight; i++) mmEventFinish(ctx, kinds[i]!, targets[i]!);
    const took = modelNowMs() - startedAt;
    if (took > 0.05) {
      setThreadState(control, slotBase, THREAD_STATE_PACING, 0);
      sleepMs(Math.min(took, 20));
    }
    if ((events & 255) === 0) flushCounters(ctx);
  }
  flushCounters(ctx);
}
