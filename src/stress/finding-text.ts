/**
 * Words for findings: what each one means in KVM terms, which cache it is about, and the
 * interleaving (the flight recorder's last events of every thread, in global order).
 */
import { errnoName } from '../util/errno.js';
import { decodeRings, type TraceEvent } from '../oracle/flight-recorder.js';
import { snapshotOffset, type FindingRecord, type Findings } from '../oracle/findings.js';
import { INVARIANT_NAMES } from '../oracle/access-oracles.js';
import {
  PROPERTIES,
  PROP_EVENTS,
  PROP_FREE_WHILE_IN_GUEST,
  PROP_LEAKS,
  PROP_LIVELOCK,
  PROP_LOCK_SANITY,
  PROP_RECORDS,
  PROP_STALE_ENTRY,
  PROP_STALE_GENERATION,
  PROP_STALE_PTE,
  PROP_STATE_INVARIANT,
  PROP_UAF_GUEST,
  PROP_UAF_KHVA,
  PROP_WRONG_PAGE,
} from '../oracle/properties.js';
import { MM_KIND_NAMES, STEP_FINDING, STEP_INV_EVICT, STEP_INV_EVICTED, STEP_MM_CHANGE, STEP_REFRESH_FAIL, STEP_REQUESTS, STEP_KICK, stepName } from '../oracle/trace-steps.js';
import { threadName, type GuestLayout } from '../kvm/guest-layout.js';
import { cacheLabel } from '../kvm/cache-table.js';
import { requestNames } from '../kvm/vcpu-layout.js';
import {
  END_EVENTS_EVTCHN,
  END_EVENTS_POSTED,
  END_INVARIANT,
  END_LEAK_KMAP,
  END_LEAK_PAGE,
  END_LOCK_CORRUPT,
  END_LOCK_HELD,
  END_MN_COUNT,
  END_RECORD_HW_TICK,
  END_RECORD_STEAL,
} from './end-of-run.js';

export { threadName };

export function cacheName(layout: GuestLayout, g: number): string {
  return cacheLabel(layout.caches, g);
}

const hex = (n: number): string => (n < 0 ? String(n) : `0x${n.toString(16)}`);

/** One sentence per finding kind. */
export function describeFinding(r: FindingRecord, pageShift: number, layout: GuestLayout): string {
  switch (r.property) {
    case PROP_UAF_KHVA:
      return `host code used khva of pfn ${r.pfn} under the read lock after its check passed, but the page is ${r.a === 0 ? 'FREE' : 're-used'} (page epoch ${r.b}, the cache installed it at epoch ${r.c}): use-after-free through the kernel mapping`;
    case PROP_UAF_GUEST:
      return `vcpu "hardware" in guest mode used pfn ${r.pfn} (loaded at page epoch ${r.c}); the page is now ${r.a === 0 ? 'FREE' : 're-allocated'} at epoch ${r.b}: use-after-free by a guest-uses pfn`;
    case PROP_FREE_WHILE_IN_GUEST:
      return `the mm freed pfn ${r.pfn} while vcpu-${r.a} was running guest steps with it in its guest-uses register ${r.b} (${cacheName(layout, r.cache)})`;
    case PROP_STALE_PTE:
      return `valid under the read lock with pfn ${r.pfn}, but the host pte of uhva page ${r.b} maps ${r.a < 0 ? 'nothing' : `pfn ${r.a}`}`;
    case PROP_STALE_GENERATION:
      return `check passed under the read lock with memslot generation ${r.a}, older than generation ${r.b} of the reader's SRCU section: a translation from before a completed memslot update`;
    case PROP_STALE_ENTRY:
      return `vcpu-${layout.caches.caches[r.cache]?.owner ?? '?'} entered guest mode with ${cacheName(layout, r.cache)} translated through host virtual page ${r.c} at memslot generation ${r.a}, but generation ${r.b}, current when it set IN_GUEST_MODE, maps that gfn elsewhere: a memslot move the entry check missed (stale gpa -> uhva)`;
    case PROP_WRONG_PAGE:
      return `the cached pfn ${r.pfn} backs gfn ${r.a}, not the cache's gfn ${r.gpa < 0 ? '?' : r.gpa >> pageShift}: writes land in the wrong page`;
    case PROP_STATE_INVARIANT:
      return r.c === END_INVARIANT
        ? `at the end: valid=${r.a} active=${(r.b & 2) >> 1} on-list=${(r.b & 4) >> 2} (valid => active, active <=> on the list)`
        : `${INVARIANT_NAMES[r.a] ?? `invariant ${r.a}`} (khva ${hex(r.b)})`;
    case PROP_EVENTS:
      if (r.c === END_EVENTS_EVTCHN) return `event channels: ${r.a} events delivered, ${r.b} seen by the guest or still pending: ${r.a > r.b ? `${r.a - r.b} lost` : `${r.b - r.a} duplicated (or garbage counted from a freed, poisoned page)`}`;
      if (r.c === END_EVENTS_POSTED) return `posted interrupts: ${r.a} posted, ${r.b} taken by the guest or still pending: ${r.a > r.b ? `${r.a - r.b} lost` : `${r.b - r.a} duplicated (or garbage from a freed page)`}`;
      return 'events not conserved';
    case PROP_RECORDS:
      if (r.c === END_RECORD_STEAL) return `at the end the steal-time record (true translation) holds ${r.b}, but its writer last wrote ${r.a}: a lost write`;
      if (r.c === END_RECORD_HW_TICK) return `at the end the vAPIC page (true translation) holds hardware tick ${r.b}, but the hardware last wrote ${r.a}: a write went to another page`;
      return `the guest saw a record go backwards: ${r.a} after ${r.b} (${r.c === 1 ? 'steal time' : 'vAPIC hardware tick'}, pfn ${r.pfn})`;
    case PROP_LOCK_SANITY:
      if (r.c === END_LOCK_CORRUPT) return `lock word corrupted (state ${r.a}, ${r.b} impossible unlocks counted)`;
      if (r.c === END_LOCK_HELD) return `a lock is still held after every thread stopped (state ${r.a})`;
      if (r.c === END_MN_COUNT) return `mn_active_invalidate_count is ${r.a} after the run (an unbalanced invalidation)`;
      return 'lock words not sane';
    case PROP_LEAKS:
      if (r.c === END_LEAK_PAGE) return `page ${r.pfn}: allocated=${r.a}, held by file page ${r.b}: a leaked or lost page`;
      if (r.c === END_LEAK_KMAP) return `page ${r.pfn} has ${r.a} kernel mappings, but caches hold ${r.b}: a leaked (or doubly dropped) khva mapping`;
      return `unmap of pfn ${r.pfn} that had no mapping (${r.a}): a double unmap`;
    case PROP_LIVELOCK:
      return `a refresh of this cache has kept retrying for ${r.b} ms (${r.a} retries) without completing: hva_to_pfn_retry keeps seeing invalidations in flight (history B20)`;
    default:
      return 'finding';
  }
}

function argText(e: TraceEvent): string {
  switch (e.step) {
    case STEP_MM_CHANGE:
      return ` ${MM_KIND_NAMES[e.arg] ?? e.arg}`;
    case STEP_REQUESTS:
      return ` ${requestNames(e.arg)}`;
    case STEP_KICK:
      return ` vcpu-${e.arg}`;
    case STEP_REFRESH_FAIL:
      return ` ${errnoName(e.arg)}`;
    default:
      return e.arg !== 0 ? ` arg=${e.arg}` : '';
  }
}

/** Steps of each thread other than the finder kept for context (where it was at the detection). */
const OTHER_THREADS_RECENT = 2;

/** Most lines an interleaving keeps (the last ones: they lead to the detection). */
const MAX_INTERLEAVING_LINES = 48;

/**
 * Folds repeats: an event whose thread, step, cache, gfn, pfn, seq, generation and argument equal
 * an earlier shown event of the same thread (a retry loop, a guest spinning on one page) is not
 * shown again; the first line gets "xN, last #S". Keeps the global order of first occurrences.
 */
export function foldRepeats(events: readonly TraceEvent[]): { event: TraceEvent; repeats: number; lastSeq: number }[] {
  const out: { event: TraceEvent; repeats: number; lastSeq: number }[] = [];
  const byKey = new Map<string, number>();
  for (const e of events) {
    const key = `${e.thread}|${e.step}|${e.cache}|${e.gpa}|${e.pfn}|${e.mmuSeq}|${e.generation}|${e.arg}`;
    const at = byKey.get(key);
    if (at !== undefined && e.step !== STEP_FINDING) {
      out[at]!.repeats++;
      out[at]!.lastSeq = e.seq;
      continue;
    }
    byKey.set(key, out.length);
    out.push({ event: e, repeats: 1, lastSeq: e.seq });
  }
  return out;
}

/** Formats decoded events as aligned lines. */
export function formatEvents(layout: GuestLayout, events: readonly TraceEvent[], pageShift: number): string[] {
  const folded = foldRepeats(events).slice(-MAX_INTERLEAVING_LINES);
  return folded.map(({ event, repeats, lastSeq }) => formatEvent(layout, event, pageShift) + (repeats > 1 ? `   x${repeats} (last #${lastSeq})` : ''));
}

function formatEvent(layout: GuestLayout, e: TraceEvent, pageShift: number): string {
  {
    if (e.step === STEP_FINDING) {
      return `${`#${e.seq}`.padStart(9)} ${threadName(layout, e.thread).padEnd(9)} FINDING: ${PROPERTIES[e.arg]?.name ?? e.arg}` + (e.cache >= 0 ? ` on gpc ${e.cache}` : '') + (e.pfn >= 0 ? `, pfn ${e.pfn}` : '');
    }
    const parts = [
      `#${e.seq}`.padStart(9),
      threadName(layout, e.thread).padEnd(9),
      stepName(e.step).padEnd(30),
      e.cache >= 0 ? `gpc ${e.cache}`.padEnd(7) : ''.padEnd(7),
      e.gpa >= 0 ? `gfn ${e.gpa >> pageShift}`.padEnd(9) : ''.padEnd(9),
      e.pfn >= 0 ? `pfn ${e.pfn}`.padEnd(8) : ''.padEnd(8),
      `seq ${e.mmuSeq}`.padEnd(10),
      `gen ${e.generation}`,
    ];
    return parts.join(' ') + argText(e);
  }
}

/**
 * The interleaving for a recorded finding (from its ring snapshot): every event up to the
 * detection that touches the finding's cache, pfn or gfn or evicts/kicks its vCPU, plus the last
 * `perThread` events of the finder (2 of every other thread), in global order, repeats folded,
 * the last lines kept.
 */
export function findingInterleaving(
  layout: GuestLayout,
  findings: Findings,
  record: FindingRecord,
  depth: number,
  perThread: number,
  pageShift: number,
): string[] {
  if (record.snapshot < 0 || depth === 0) return [];
  const decoded = decodeRings(findings.mem, snapshotOffset(findings, record.snapshot), depth, layout.threads, depth);
  // Cut at the detection itself (the finder's FINDING event): later events were copied into the
  // snapshot while it was taken, and did not lead to the finding.
  const detection = decoded.find((e) => e.step === STEP_FINDING && e.thread === record.thread && e.arg === record.property);
  const cut = detection ? detection.seq : record.traceSeq;
  // Earlier detections (of this or other properties) are the oracles' notes, not protocol steps
  // that led here: only this finding's own FINDING line is kept, as the last line.
  const all = decoded.filter((e) => e.seq <= cut && (e.step !== STEP_FINDING || e === detection));
  const vcpu = record.property === PROP_FREE_WHILE_IN_GUEST ? record.a : record.thread < layout.vcpus ? record.thread : -1;
  const lastSeqOfThread = new Map<number, number[]>();
  for (const e of all) {
    const list = lastSeqOfThread.get(e.thread) ?? [];
    list.push(e.seq);
    lastSeqOfThread.set(e.thread, list);
  }
  const recent = new Set<number>();
  // The finder's last `perThread` steps; of every other thread only its last 2 (where it was).
  for (const [thread, list] of lastSeqOfThread) for (const seq of list.slice(thread === record.thread ? -perThread : -OTHER_THREADS_RECENT)) recent.add(seq);
  const relevant = all.filter((e) => {
    if (recent.has(e.seq)) return true;
    if (record.pfn >= 0 && e.pfn === record.pfn) return true;
    if (record.cache >= 0 && e.cache === record.cache) return true;
    if (record.gpa >= 0 && e.gpa >= 0 && e.gpa >> pageShift === record.gpa >> pageShift) return true;
    if (vcpu >= 0 && (e.step === STEP_INV_EVICT || e.step === STEP_INV_EVICTED || e.step === STEP_KICK) && e.arg === vcpu) return true;
    return false;
  });
  return formatEvents(layout, relevant, pageShift);
}
