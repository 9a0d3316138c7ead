/**
 * The control plane on the main thread: memslot updates while the vCPUs run (DESIGN 5.6), as
 * KVM_SET_USER_MEMORY_REGION calls serialized by slots_lock (an async-mutex: a promise lock, main
 * thread only). The legal operations (docs/UPSTREAM-SPEC.md 3.1), `--memslot-ops` (default: all of them):
 *
 *   delete-create  DELETE a slot (INVALID first, then gone; its host window is then munmapped by
 *                  the notifier: an invalidation outside every memslot), and after a short gap
 *                  with no slot on those gfns, CREATE it again at a new host virtual window backed
 *                  by different memory (the other bank of file pages: FILE_BANKS), so whatever
 *                  still uses the old translation reads and writes memory the guest no longer sees
 *   move           KVM_MR_MOVE: the slot's gfns move (same hva) to an unused gfn range, and after
 *                  a gap move back
 *   flags-only     KVM_MR_FLAGS_ONLY: dirty logging on or off
 *   dummy          CREATE or DELETE the dummy slot (xen_shinfo_test's generation bump)
 *
 * and, outside the default, `repoint-hva`: the model's old "move" (an existing slot's
 * userspace_addr re-pointed to an alias of the same pages), which upstream rejects with -EINVAL.
 *
 * The main thread never blocks: every wait is Atomics.waitAsync. The update itself is the protocol
 * step `memslotUpdate` (mainline: src/kvm/set-memslot.ts); this file decides what to update and
 * when.
 */
import { Mutex } from 'async-mutex';
import { otherBankFilePage, WINDOW_FREE, WINDOW_INTS, WINDOW_MAPPED, WINDOW_RETIRING, W_GFN_BASE, W_NPAGES, W_SLOT, W_STATE } from '../mem/host-mm-layout.js';
import { SLOT_GMEM, SLOT_LOG_DIRTY, SLOT_PRESENT } from '../mem/memslots.js';
import {
  KVM_MR_CREATE,
  KVM_MR_DELETE,
  KVM_MR_FLAGS_ONLY,
  KVM_MR_MOVE,
  MR_ILLEGAL_REPOINT_HVA,
  readCurrentSlot,
  type MemslotOp,
  type SlotValue,
} from '../mem/memslot-update.js';
import { WINDOWS_PER_SLOT } from '../kvm/guest-layout.js';
import { traceStep, type ModelContext } from '../kvm/model-context.js';
import { deletesDone, markDeleting, markMapped, markRetired } from '../oracle/retired-memory.js';
import { STEP_MEMSLOT_DELETE_RETURNED } from '../trace/trace-steps.js';
import { UPDATER_STARVED_AFTER_MS, newMemslotSwapStats, type MemslotSwapStats } from '../kvm/swap-memslots.js';
import { mainSleepMs, type MainParticipant } from '../sched/main-participant.js';
import { shouldStop } from '../harness/run-control.js';

/** `--memslot-ops` names: the legal operations (the default), then the illegal one. */
export const MEMSLOT_OP_NAMES = ['delete-create', 'move', 'flags-only', 'dummy', 'repoint-hva'] as const;
export type MemslotOpName = (typeof MEMSLOT_OP_NAMES)[number];
export const LEGAL_MEMSLOT_OPS: readonly MemslotOpName[] = ['delete-create', 'move', 'flags-only', 'dummy'];

/** How long a DELETE-then-CREATE or a MOVE-and-back leaves the gfns without their slot (ms). */
const GAP_MS = 2;

export interface ControlPlaneCounts {
  /** KVM_MR_MOVE updates (each pair of the move-and-back counts 2). */
  moves: number;
  /** CREATEs and DELETEs, the dummy slot's included. */
  creates: number;
  deletes: number;
  /** DELETEs of a slot whose re-CREATE maps different memory (delete-create): the lost-write oracle's subject. */
  deletesOntoOtherMemory: number;
  flagsOnly: number;
  dummyToggles: number;
  /** Illegal re-points of an existing slot's hva (`repoint-hva`). */
  repoints: number;
  /** Updates skipped because the slot had no free window (its old one not unmapped yet). */
  skipped: number;
  /** Updates kvm_set_memory_region rejected (-EINVAL, -EEXIST): none is expected. */
  rejected: number;
}

export class ControlPlane {
  readonly slotsLock = new Mutex();
  /**
   * Slots the run DELETEd and re-CREATEd onto different memory: the VMM replaced what the guest
   * sees there, so end-of-run checks that pair contents of that memory with the kernel's own state
   * (the Xen event upcall check) do not apply to them.
   */
  readonly replacedSlots = new Set<number>();
  readonly counts: ControlPlaneCounts = { moves: 0, creates: 0, deletes: 0, deletesOntoOtherMemory: 0, flagsOnly: 0, dummyToggles: 0, repoints: 0, skipped: 0, rejected: 0 };
  /** Swaps, and the swaps that waited for in-flight invalidations (how long). */
  readonly swapStats: MemslotSwapStats = newMemslotSwapStats();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Set once every model thread has ended: an SRCU wait then gives up (no reader can leave any more). */
  private abandoned = false;

  constructor(
    private readonly main: ModelContext,
    private readonly ratePerS: number,
    private readonly ops: readonly MemslotOpName[] = LEGAL_MEMSLOT_OPS,
    /** The updater's wait for in-flight invalidations longer than this is a livelock finding (--updater-timeout). */
    private readonly starvedAfterMs: number = UPDATER_STARVED_AFTER_MS,
  ) {}

  /** Starts issuing updates at the configured rate (exponential gaps from the run's seed). */
  start(): void {
    if (this.ratePerS > 0 && this.ops.length > 0) this.scheduleNext();
  }

  /**
   * Under a controlled schedule (src/sched/): the control plane as the main thread's participant.
   * It holds the first turn; gaps between updates are model time (`gate.sleepMs`), every wait
   * inside an update hands the turn over, and the loop ends when the run stops (which the
   * scheduler decides, at a step) or the schedule aborts. Then main leaves the schedule.
   */
  async runControlled(gate: MainParticipant, control: Int32Array): Promise<void> {
    const active = this.ratePerS > 0 && this.ops.length > 0;
    try {
      while (active && !gate.aborted) {
        const gapMs = (-Math.log(1 - this.main.rng.nextUint32() / 4294967296) * 1000) / this.ratePerS;
        await gate.sleepMs(gapMs);
        if (shouldStop(control) || gate.aborted) break;
        await this.slotsLock.runExclusive(() => this.updateOnce());
      }
    } finally {
      gate.exit();
    }
  }

  /** Stops issuing updates (the one in progress finishes on its own). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** After every thread ended: lets an update still waiting for SRCU readers give up, and waits for it. */
  async abandon(): Promise<void> {
    this.stop();
    this.abandoned = true;
    await this.slotsLock.runExclusive(() => undefined);
  }

  private scheduleNext(): void {
    const gapMs = (-Math.log(1 - this.main.rng.nextUint32() / 4294967296) * 1000) / this.ratePerS;
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      void this.slotsLock.runExclusive(() => this.updateOnce()).finally(() => {
        if (!this.stopped) this.scheduleNext();
      });
    }, gapMs);
  }

  /** One operation from --memslot-ops (under slots_lock). */
  async updateOnce(): Promise<void> {
    if (this.stopped) return;
    const op = this.ops[this.main.rng.below(this.ops.length)]!;
    const movable = this.main.layout.movableSlots;
    const s = movable[this.main.rng.below(movable.length)]!;
    if (op === 'delete-create') await this.deleteAndCreate(s);
    else if (op === 'move') await this.moveAndBack(s);
    else if (op === 'flags-only') await this.toggleDirtyLogging(s);
    else if (op === 'dummy') await this.toggleDummySlot();
    else await this.repointHvaIllegally(s);
  }

  private async update(op: MemslotOp, afterDrain: (() => void) | null = null): Promise<boolean> {
    const rc = await this.main.protocol.memslotUpdate(this.main, op, { shouldGiveUp: () => this.abandoned, afterDrain, stats: this.swapStats, starvedAfterMs: this.starvedAfterMs });
    if (rc !== 0) this.counts.rejected++;
    return rc === 0;
  }

  /** A FREE host window of slot s's group, or -1: then the update that needed it is skipped (counted). */
  private freeWindow(s: number): number {
    const mm = this.main.host.mm;
    for (let i = 0; i < WINDOWS_PER_SLOT; i++) {
      const window = s * WINDOWS_PER_SLOT + i;
      if (Atomics.load(mm.mem, mm.windowBase + window * WINDOW_INTS + W_STATE) === WINDOW_FREE) return window;
    }
    this.counts.skipped++;
    return -1;
  }

  /**
   * mmap: window `window` maps guest-RAM file pages [fileBase, +npages); returns its first host
   * virtual page. Mapped before any reader can find it (it is reachable only after a publish).
   */
  private mapWindow(window: number, s: number, fileBase: number, npages: number): number {
    const mm = this.main.host.mm;
    // Memory a slot maps again is not retired (the lost-write oracle's record).
    markMapped(this.main.retired, fileBase, npages);
    const w = mm.windowBase + window * WINDOW_INTS;
    mm.mem[w + W_GFN_BASE] = fileBase;
    mm.mem[w + W_NPAGES] = npages;
    mm.mem[w + W_SLOT] = s;
    Atomics.store(mm.mem, w + W_STATE, WINDOW_MAPPED);
    return 1 + window * mm.slotPages;
  }

  /** munmap of a window no slot uses any more: the notifier unmaps it (an invalidation bracket). */
  private retireWindowOf(uhvaVpage: number): () => void {
    const mm = this.main.host.mm;
    const window = ((uhvaVpage - 1) / mm.slotPages) | 0;
    return () => Atomics.store(mm.mem, mm.windowBase + window * WINDOW_INTS + W_STATE, WINDOW_RETIRING);
  }

  /** The file pages a window maps (its W_GFN_BASE). */
  private fileBaseOf(uhvaVpage: number): number {
    const mm = this.main.host.mm;
    const window = ((uhvaVpage - 1) / mm.slotPages) | 0;
    return mm.mem[mm.windowBase + window * WINDOW_INTS + W_GFN_BASE]!;
  }

  /** KVM_MR_DELETE of slot s, a gap with no slot on its gfns, then KVM_MR_CREATE at a new host window. */
  async deleteAndCreate(s: number): Promise<boolean> {
    const current = readCurrentSlot(this.main.ms, s);
    if ((current.flags & SLOT_PRESENT) === 0) return false;
    const target = this.freeWindow(s);
    if (target < 0) return false;
    // Different host memory: the new window maps the other bank of file pages.
    const oldFileBase = this.fileBaseOf(current.uhvaVpage);
    const fileBase = otherBankFilePage(this.main.host.mm, oldFileBase);
    // The lost-write oracle's record: the old memory is being thrown away from the ioctl's start
    // (a write into it is the VMM's loss) and is retired once the ioctl returns (a write into it
    // by a section or guest entry that began later is the kernel's).
    markDeleting(this.main.retired, oldFileBase, current.npages);
    if (!(await this.update({ change: KVM_MR_DELETE, slot: s, value: current }, this.retireWindowOf(current.uhvaVpage)))) {
      markMapped(this.main.retired, oldFileBase, current.npages);
      return false;
    }
    markRetired(this.main.retired, oldFileBase, current.npages);
    traceStep(this.main, STEP_MEMSLOT_DELETE_RETURNED, -1, current.baseGfn << this.main.pageShift, -1, deletesDone(this.main.retired));
    this.counts.deletes++;
    this.counts.deletesOntoOtherMemory++;
    this.replacedSlots.add(s);
    await mainSleepMs(GAP_MS);
    const uhvaVpage = this.mapWindow(target, s, fileBase, current.npages);
    // A guest_memfd slot (itazuri-gmem-rfc2) is created again as one.
    const created: SlotValue = { baseGfn: current.baseGfn, npages: current.npages, uhvaVpage, flags: SLOT_PRESENT | (current.flags & SLOT_GMEM) };
    if (!(await this.update({ change: KVM_MR_CREATE, slot: s, value: created }))) return false;
    this.counts.creates++;
    return true;
  }

  /** KVM_MR_MOVE of slot s to gfns no slot uses (same hva), a gap, then back. */
  async moveAndBack(s: number): Promise<boolean> {
    const layout = this.main.layout;
    const current = readCurrentSlot(this.main.ms, s);
    if ((current.flags & SLOT_PRESENT) === 0) return false;
    // A guest_memfd slot cannot move (-EINVAL): the VMM deletes and re-creates it instead.
    if ((current.flags & SLOT_GMEM) !== 0) return this.deleteAndCreate(s);
    // Past every slot's gfns, one window-sized range per slot: no overlap (kvm_check_memslot_overlap).
    const parked: SlotValue = { ...current, baseGfn: layout.gfns + s * layout.windowPages };
    if (!(await this.update({ change: KVM_MR_MOVE, slot: s, value: parked }))) return false;
    this.counts.moves++;
    await mainSleepMs(GAP_MS);
    if (!(await this.update({ change: KVM_MR_MOVE, slot: s, value: current }))) return false;
    this.counts.moves++;
    return true;
  }

  /** KVM_MR_FLAGS_ONLY: dirty logging on or off for slot s. */
  async toggleDirtyLogging(s: number): Promise<boolean> {
    const current = readCurrentSlot(this.main.ms, s);
    if ((current.flags & SLOT_PRESENT) === 0) return false;
    // A guest_memfd slot's flags cannot change (-EINVAL): the VMM deletes and re-creates it instead.
    if ((current.flags & SLOT_GMEM) !== 0) return this.deleteAndCreate(s);
    if (!(await this.update({ change: KVM_MR_FLAGS_ONLY, slot: s, value: { ...current, flags: current.flags ^ SLOT_LOG_DIRTY } }))) return false;
    this.counts.flagsOnly++;
    return true;
  }

  /** KVM_MR_CREATE or KVM_MR_DELETE of the dummy slot (a generation bump that changes no translation the caches use). */
  async toggleDummySlot(): Promise<boolean> {
    const slot = this.main.layout.slotDummy;
    const current = readCurrentSlot(this.main.ms, slot);
    const present = (current.flags & SLOT_PRESENT) !== 0;
    const op: MemslotOp = present ? { change: KVM_MR_DELETE, slot, value: current } : { change: KVM_MR_CREATE, slot, value: { ...current, flags: SLOT_PRESENT } };
    if (!(await this.update(op))) return false;
    this.counts.dummyToggles++;
    if (present) this.counts.deletes++;
    else this.counts.creates++;
    return true;
  }

  /**
   * ILLEGAL (upstream: -EINVAL): re-point slot s's userspace_addr to a new window mapping the same
   * file pages (an alias), in one swap; the old window is munmapped after the drain.
   */
  async repointHvaIllegally(s: number): Promise<boolean> {
    const current = readCurrentSlot(this.main.ms, s);
    if ((current.flags & SLOT_PRESENT) === 0) return false;
    const target = this.freeWindow(s);
    if (target < 0) return false;
    const uhvaVpage = this.mapWindow(target, s, this.fileBaseOf(current.uhvaVpage), current.npages);
    if (!(await this.update({ change: MR_ILLEGAL_REPOINT_HVA, slot: s, value: { ...current, uhvaVpage } }, this.retireWindowOf(current.uhvaVpage)))) return false;
    this.counts.repoints++;
    return true;
  }
}
