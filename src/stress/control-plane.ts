/**
 * The control plane on the main thread: memslot updates while the vCPUs run (DESIGN 5.6), as
 * ioctl-style calls serialized by slots_lock (an async-mutex: a promise lock, main thread only).
 *
 *   move:   the slot's gfns get new host virtual pages (a free window mapping the same guest-RAM
 *           file pages: an alias), published as a new generation; wait for the old copy's SRCU
 *           readers; retire the old window (the notifier unmaps it, through an invalidation);
 *           kick every vCPU, asynchronously (kvm_arch_memslots_updated).
 *   dummy:  add or delete the dummy slot (xen_shinfo_test's generation bump).
 *
 * No page is freed by a memslot update: the gpc must rely on the generation compare alone.
 * The main thread never blocks: the SRCU wait is Atomics.waitAsync. The update itself (publish,
 * synchronize_srcu, kvm_arch_memslots_updated) is the protocol step `memslotUpdate` (mainline:
 * src/kvm/set-memslot.ts); this file decides what to update and when.
 */
import { Mutex } from 'async-mutex';
import { WINDOW_FREE, WINDOW_INTS, WINDOW_MAPPED, WINDOW_RETIRING, W_GFN_BASE, W_NPAGES, W_SLOT, W_STATE } from '../mem/host-mm-layout.js';
import { SLOT_PRESENT } from '../mem/memslots.js';
import { readCurrentSlot } from '../mem/memslot-update.js';
import { WINDOWS_PER_SLOT } from '../kvm/guest-layout.js';
import type { ModelContext } from '../kvm/model-context.js';
import { newMemslotSwapStats, type MemslotSwapStats } from '../kvm/swap-memslots.js';

export interface ControlPlaneCounts {
  moves: number;
  dummyToggles: number;
  /** Moves skipped because the slot had no free window (its old one not unmapped yet). */
  skipped: number;
}

export class ControlPlane {
  readonly slotsLock = new Mutex();
  readonly counts: ControlPlaneCounts = { moves: 0, dummyToggles: 0, skipped: 0 };
  /** Swaps, and the swaps that waited for in-flight invalidations (how long). */
  readonly swapStats: MemslotSwapStats = newMemslotSwapStats();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Set once every model thread has ended: an SRCU wait then gives up (no reader can leave any more). */
  private abandoned = false;

  constructor(
    private readonly main: ModelContext,
    private readonly ratePerS: number,
  ) {}

  /** Starts issuing updates at the configured rate (exponential gaps from the run's seed). */
  start(): void {
    if (this.ratePerS > 0) this.scheduleNext();
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

  /** One memslot update (under slots_lock). */
  async updateOnce(): Promise<void> {
    if (this.stopped) return;
    const movable = this.main.layout.movableSlots;
    if (this.main.rng.below(100) < 80) await this.moveSlot(movable[this.main.rng.below(movable.length)]!);
    else await this.toggleDummySlot();
  }

  /** KVM_SET_USER_MEMORY_REGION moving slot s to new host virtual pages (same gfns, same file pages). */
  async moveSlot(s: number): Promise<boolean> {
    const main = this.main;
    const mm = main.host.mm;
    const current = readCurrentSlot(main.ms, s);
    let target = -1;
    for (let i = 0; i < WINDOWS_PER_SLOT; i++) {
      const window = s * WINDOWS_PER_SLOT + i;
      if (Atomics.load(mm.mem, mm.windowBase + window * WINDOW_INTS + W_STATE) === WINDOW_FREE) {
        target = window;
        break;
      }
    }
    if (target < 0) {
      this.counts.skipped++;
      return false;
    }
    const oldWindow = ((current.uhvaVpage - 1) / mm.slotPages) | 0;
    // Map the new window before any reader can find it (it is reachable only after the publish).
    const w = mm.windowBase + target * WINDOW_INTS;
    mm.mem[w + W_GFN_BASE] = current.baseGfn;
    mm.mem[w + W_NPAGES] = current.npages;
    mm.mem[w + W_SLOT] = s;
    Atomics.store(mm.mem, w + W_STATE, WINDOW_MAPPED);
    const newVpage = 1 + target * mm.slotPages;
    this.counts.moves++;
    await main.protocol.memslotUpdate(main, s, { ...current, uhvaVpage: newVpage }, {
      shouldGiveUp: () => this.abandoned,
      stats: this.swapStats,
      // No reader of the old copy is left: the old host virtual pages can go (munmap, via the notifier).
      afterDrain: () => Atomics.store(mm.mem, mm.windowBase + oldWindow * WINDOW_INTS + W_STATE, WINDOW_RETIRING),
    });
    return true;
  }

  /** Adds or deletes the dummy slot (a generation bump that changes no translation the caches use). */
  async toggleDummySlot(): Promise<void> {
    const main = this.main;
    const current = readCurrentSlot(main.ms, main.layout.slotDummy);
    this.counts.dummyToggles++;
    await main.protocol.memslotUpdate(main, main.layout.slotDummy, { ...current, flags: current.flags ^ SLOT_PRESENT }, {
      shouldGiveUp: () => this.abandoned,
      stats: this.swapStats,
      afterDrain: null,
    });
  }
}
