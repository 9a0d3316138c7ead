/**
 * Interleavings: flight-recorder events (numbers) as structured events (names and labelled
 * values, per the step table in src/trace/trace-steps.ts), repeats folded; and, for a recorded
 * finding, the events that led to it. Cold path (main thread, after the run or at a stall).
 */
import { errnoName } from '../util/errno.js';
import { decodeRings, type TraceEvent } from '../trace/flight-recorder.js';
import { snapshotOffset, type FindingRecord, type Findings } from '../trace/findings.js';
import { PROPERTIES } from '../oracle/properties.js';
import type { DetailValue } from '../trace/property.js';
import { MM_KIND_NAMES, STEPS, STEP_FINDING, STEP_INV_EVICT, STEP_INV_EVICTED, stepName, type StepArg } from '../trace/trace-steps.js';
import type { GuestLayout } from '../kvm/guest-layout.js';
import { requestNames } from '../kvm/vcpu-layout.js';
import { threadName } from './finding-text.js';
import type { InterleavingEvent } from './stress-report.js';

/** Steps of each thread other than the finder kept for context (where it was at the detection). */
const OTHER_THREADS_RECENT = 2;

/** Most events an interleaving keeps (the last ones: they lead to the detection). */
const MAX_INTERLEAVING_EVENTS = 48;

/**
 * Folds repeats: an event whose thread, step, cache, gfn, pfn, seq, count, generation and argument
 * equal an earlier shown event of the same thread (a retry loop, a guest spinning on one page) is
 * not shown again; the first one counts the repeats and the last one's order. Keeps the global
 * order of first occurrences.
 */
export function foldRepeats(events: readonly TraceEvent[]): { event: TraceEvent; repeats: number; lastSeq: number }[] {
  const out: { event: TraceEvent; repeats: number; lastSeq: number }[] = [];
  const byKey = new Map<string, number>();
  for (const e of events) {
    const key = `${e.thread}|${e.step}|${e.cache}|${e.gpa}|${e.pfn}|${e.mmuSeq}|${e.mnCount}|${e.generation}|${e.arg}`;
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

/** The arg under its label, as its kind is shown (nothing when the step has none, or 0 means none). */
function addArg(layout: GuestLayout, spec: StepArg, arg: number, args: Record<string, DetailValue>): void {
  if (spec.zeroAbsent && arg === 0) return;
  switch (spec.as) {
    case 'flag':
      args[spec.label] = arg !== 0;
      return;
    case 'vcpu':
      args[spec.label] = threadName(layout, arg);
      return;
    case 'requests':
      args[spec.label] = requestNames(arg);
      return;
    case 'errno':
      args[spec.label] = errnoName(arg);
      return;
    case 'mm-kind':
      args[spec.label] = MM_KIND_NAMES[arg] ?? arg;
      return;
    case 'property':
      args[spec.label] = PROPERTIES[arg]?.name ?? arg;
      return;
    case 'inval-target':
      if (arg >= 0) args[spec.label] = arg;
      else args.filePage = -1 - arg;
      return;
    case 'number':
      args[spec.label] = arg;
  }
}

/** One recorded event with its values named by the step table. */
export function interleavingEvent(layout: GuestLayout, e: TraceEvent, pageShift: number): InterleavingEvent {
  const info = STEPS[e.step];
  const args: Record<string, DetailValue> = {};
  let gfn: number | undefined;
  let pfn: number | undefined;
  if (info?.gpa !== undefined && e.gpa >= 0) {
    if (info.gpa === 'gfn') gfn = e.gpa >> pageShift;
    else args[info.gpa] = e.gpa;
  }
  if (info?.pfn !== undefined && e.pfn >= 0) {
    if (info.pfn === 'pfn') pfn = e.pfn;
    else args[info.pfn] = e.pfn;
  }
  if (info?.arg !== undefined) addArg(layout, info.arg, e.arg, args);
  else if (info === undefined) args.arg = e.arg; // a step missing from the table: shown raw
  return {
    order: e.seq,
    thread: threadName(layout, e.thread),
    step: stepName(e.step),
    ...(e.cache >= 0 ? { cache: e.cache } : {}),
    ...(gfn !== undefined ? { gfn } : {}),
    ...(pfn !== undefined ? { pfn } : {}),
    seq: e.mmuSeq,
    count: e.mnCount,
    generation: e.generation,
    args,
  };
}

/** Events as structured events, identical repeats folded, the last MAX_INTERLEAVING_EVENTS kept. */
export function interleavingEvents(layout: GuestLayout, events: readonly TraceEvent[], pageShift: number): InterleavingEvent[] {
  return foldRepeats(events)
    .slice(-MAX_INTERLEAVING_EVENTS)
    .map(({ event, repeats, lastSeq }) => {
      const out = interleavingEvent(layout, event, pageShift);
      if (repeats > 1) {
        out.repeats = repeats;
        out.lastOrder = lastSeq;
      }
      return out;
    });
}

/**
 * The interleaving for a recorded finding (from its ring snapshot): every event up to the
 * detection that touches the finding's cache, pfn or gfn or evicts its vCPU (the one its details
 * name, else the finder if it is a vCPU), plus the last `perThread` events of the finder (2 of
 * every other thread), in global order, repeats folded, the last ones kept.
 */
export function findingInterleaving(
  layout: GuestLayout,
  findings: Findings,
  record: FindingRecord,
  details: Readonly<Record<string, DetailValue>>,
  depth: number,
  perThread: number,
  pageShift: number,
): InterleavingEvent[] {
  if (record.snapshot < 0 || depth === 0) return [];
  const decoded = decodeRings(findings.mem, snapshotOffset(findings, record.snapshot), depth, layout.threads, depth);
  // Cut at the detection itself (the finder's FINDING event): later events were copied into the
  // snapshot while it was taken, and did not lead to the finding.
  const detection = decoded.find((e) => e.step === STEP_FINDING && e.thread === record.thread && e.arg === record.property);
  const cut = detection ? detection.seq : record.traceSeq;
  // Earlier detections (of this or other properties) are the oracles' notes, not protocol steps
  // that led here: only this finding's own FINDING event is kept, as the last one.
  const all = decoded.filter((e) => e.seq <= cut && (e.step !== STEP_FINDING || e === detection));
  const vcpu = typeof details.vcpu === 'number' ? details.vcpu : record.thread < layout.vcpus ? record.thread : -1;
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
    if (vcpu >= 0 && (e.step === STEP_INV_EVICT || e.step === STEP_INV_EVICTED) && e.arg === vcpu) return true;
    return false;
  });
  return interleavingEvents(layout, relevant, pageShift);
}
