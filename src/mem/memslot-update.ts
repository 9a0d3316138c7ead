/**
 * The memslot updater's side (the control plane, main thread, serialized by slots_lock): build the
 * next generation's copy in the inactive copy, publish it, and wait for the readers of the old
 * copy to leave (synchronize_srcu, with Atomics.waitAsync so the main thread's event loop keeps
 * running).
 */
import { CACHE_LINE_INTS } from './shared-buffer.js';
import {
  MS_DRAIN_SEQ,
  MS_DRAIN_WAITING,
  MS_GENERATION,
  MS_UPDATES,
  SLOT_BASE_GFN,
  SLOT_FLAGS,
  SLOT_INTS,
  SLOT_NPAGES,
  SLOT_UHVA_VPAGE,
  copyBase,
  srcuReaders,
  type Memslots,
} from './memslots.js';

/** Atomics.waitAsync (Node 16+; not in the ES2022 lib typings). */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const atomicsWaitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t: number) => WaitAsyncResult }).waitAsync;

/** One slot's fields. */
export interface SlotValue {
  readonly baseGfn: number;
  readonly npages: number;
  readonly uhvaVpage: number;
  readonly flags: number;
}

/** Reads slot s of the current copy (updater only: no update can run concurrently). */
export function readCurrentSlot(ms: Memslots, s: number): SlotValue {
  const at = copyBase(ms, Atomics.load(ms.mem, MS_GENERATION)) + CACHE_LINE_INTS + s * SLOT_INTS;
  return {
    baseGfn: ms.mem[at + SLOT_BASE_GFN]!,
    npages: ms.mem[at + SLOT_NPAGES]!,
    uhvaVpage: ms.mem[at + SLOT_UHVA_VPAGE]!,
    flags: ms.mem[at + SLOT_FLAGS]!,
  };
}

/**
 * Writes the next generation's copy: the current copy with slot s replaced, then publishes it
 * (Atomics.store of GENERATION: every plain store above happens-before a reader's load of it).
 * The copy written is the one the previous update drained. Returns the old generation.
 */
export function publishSlotUpdate(ms: Memslots, s: number, value: SlotValue): number {
  const mem = ms.mem;
  const old = Atomics.load(mem, MS_GENERATION);
  const next = (old + 1) | 0;
  const from = copyBase(ms, old);
  const to = copyBase(ms, next);
  for (let i = 0; i < ms.copyInts; i++) mem[to + i] = mem[from + i]!;
  mem[to] = next;
  const at = to + CACHE_LINE_INTS + s * SLOT_INTS;
  mem[at + SLOT_BASE_GFN] = value.baseGfn;
  mem[at + SLOT_NPAGES] = value.npages;
  mem[at + SLOT_UHVA_VPAGE] = value.uhvaVpage;
  mem[at + SLOT_FLAGS] = value.flags;
  Atomics.store(mem, MS_GENERATION, next);
  Atomics.add(mem, MS_UPDATES, 1);
  return old;
}

/** Sets slot s in the current copy before any reader exists (VM creation only). */
export function initialSlot(ms: Memslots, s: number, value: SlotValue): void {
  const at = copyBase(ms, Atomics.load(ms.mem, MS_GENERATION)) + CACHE_LINE_INTS + s * SLOT_INTS;
  ms.mem[at + SLOT_BASE_GFN] = value.baseGfn;
  ms.mem[at + SLOT_NPAGES] = value.npages;
  ms.mem[at + SLOT_UHVA_VPAGE] = value.uhvaVpage;
  ms.mem[at + SLOT_FLAGS] = value.flags;
}

/**
 * synchronize_srcu for the copy of `oldGeneration`: resolves when no reader is registered in it.
 * Waits with Atomics.waitAsync on DRAIN_SEQ (readers leaving notify it), in slices of sliceMs so a
 * missed notify costs one slice, and gives up (false) when shouldGiveUp() says the run is over.
 */
export async function synchronizeSrcu(
  ms: Memslots,
  oldGeneration: number,
  sliceMs: number,
  shouldGiveUp: () => boolean,
): Promise<boolean> {
  const mem = ms.mem;
  Atomics.store(mem, MS_DRAIN_WAITING, 1);
  try {
    for (;;) {
      const seq = Atomics.load(mem, MS_DRAIN_SEQ);
      if (srcuReaders(ms, oldGeneration) === 0) return true;
      if (shouldGiveUp()) return false;
      const wait = atomicsWaitAsync(mem, MS_DRAIN_SEQ, seq, sliceMs);
      if (wait.async) await wait.value;
    }
  } finally {
    Atomics.store(mem, MS_DRAIN_WAITING, 0);
  }
}
