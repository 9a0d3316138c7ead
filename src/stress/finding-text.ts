/**
 * Words for findings: what each one means in KVM terms, which cache it is about, and the
 * interleaving (the flight recorder's last events of every thread, in global order).
 */
import { errnoName } from '../util/errno.js';
import { decodeRings, type TraceEvent } from '../oracle/flight-recorder.js';
import { snapshotOffset, type FindingRecord, type Findings } from '../oracle/findings.js';
import { PROPERTIES } from '../oracle/properties.js';
import type { DetailContext, DetailValue, FindingDetails, FindingSubject } from '../oracle/property.js';
import { MM_KIND_NAMES, STEP_FINDING, STEP_INV_EVICT, STEP_INV_EVICTED, STEP_MM_CHANGE, STEP_REFRESH_FAIL, STEP_REQUESTS, STEP_KICK, stepName } from '../oracle/trace-steps.js';
import { GPC_SHINFO, type GuestLayout } from '../kvm/guest-layout.js';
import { requestNames } from '../kvm/vcpu-layout.js';

export function threadName(layout: GuestLayout, t: number): string {
  if (t < layout.vcpus) return `vcpu-${t}`;
  if (t === layout.threadNotifier) return 'notifier';
  if (t === layout.threadEvtchn) return 'evtchn';
  if (t === layout.threadJuggler) return 'juggler';
  if (t === layout.threadMain) return 'main';
  return `thread-${t}`;
}

export function cacheName(layout: GuestLayout, g: number): string {
  if (g < 0) return '-';
  if (g === GPC_SHINFO) return 'gpc 0 (shared_info)';
  if (g <= layout.vcpus) return `gpc ${g} (steal-time vcpu-${g - 1})`;
  const k = g - 1 - layout.vcpus;
  return `gpc ${g} (${k % 2 === 0 ? 'vAPIC page' : 'PI descriptor'} vcpu-${k >> 1})`;
}

/** Drops the absent (undefined) values, so JSON has no key for them. */
function presentOnly(details: FindingDetails): Record<string, DetailValue> {
  const out: Record<string, DetailValue> = {};
  for (const [k, v] of Object.entries(details)) if (v !== undefined) out[k] = v;
  return out;
}

/** A recorded finding's common fields, named details and sentence, decoded by its property's module. */
export interface NamedFinding {
  subject: FindingSubject;
  details: Record<string, DetailValue>;
  message: string;
}

/** Names a recorded finding's fields (absent ones left out) and says what it means. Cold path. */
export function nameFinding(r: FindingRecord, ctx: DetailContext): NamedFinding {
  const spec = PROPERTIES[r.property];
  if (!spec) return { subject: {}, details: {}, message: `finding of unknown property ${r.property}` };
  const subject: { cache?: number; gpa?: number; gfn?: number; pfn?: number } = {};
  if (spec.fills.cache && r.cache >= 0) subject.cache = r.cache;
  if (spec.fills.gpa && r.gpa >= 0) {
    subject.gpa = r.gpa;
    subject.gfn = r.gpa >> ctx.pageShift;
  }
  if (spec.fills.pfn && r.pfn >= 0) subject.pfn = r.pfn;
  const details = presentOnly(spec.details(r.a, r.b, r.c, ctx));
  return { subject, details, message: spec.describe(details, subject) };
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
  details: FindingDetails,
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
  // The vCPU the finding is about: the one its details name, else the finder if it is a vCPU.
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
    if (vcpu >= 0 && (e.step === STEP_INV_EVICT || e.step === STEP_INV_EVICTED || e.step === STEP_KICK) && e.arg === vcpu) return true;
    return false;
  });
  return formatEvents(layout, relevant, pageShift);
}
