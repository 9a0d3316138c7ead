/**
 * A finding's interleaving as a Chrome Trace Event JSON file, which ui.perfetto.dev and
 * chrome://tracing open (`stress --perfetto FILE`):
 *
 *  - one track per thread, named by role (`M` thread_name metadata, sorted in thread order);
 *  - one slice per step at logical time: the flight recorder's global order (1 unit = 1 step;
 *    the recorder keeps no wall time, so the trace has none), its values as args;
 *  - enclosing slices for the protocol's critical spans on one thread: a refresh (refresh-start to
 *    its install or failure) and an invalidation (invalidate-start to its end);
 *  - counters: mmu_invalidate_seq, mn_active_invalidate_count, the memslot generation, and the
 *    finding's cache's `valid` as the steps that set and clear it show it;
 *  - flow arrows (`bind_id` with `flow_out` / `flow_in` on slices): between the two racing steps
 *    (racingSteps) and from the step that freed or changed the finding's page to the finding.
 */
import type { InterleavingEvent, StressFinding } from './stress-report.js';
import { racingSteps } from './racing-steps.js';

/** One Chrome Trace Event (the subset written here). */
export interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'M' | 'C';
  readonly pid: number;
  readonly tid?: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly args?: Record<string, unknown>;
  readonly bind_id?: number;
  readonly flow_out?: boolean;
  readonly flow_in?: boolean;
}

export interface PerfettoTrace {
  readonly traceEvents: TraceEvent[];
  readonly displayTimeUnit: 'ns';
  readonly metadata: Record<string, string>;
}

const PID = 1;
/** Logical time: one step is this many trace microseconds (so slices are wide enough to click). */
const STEP_US = 10;

/** Threads in the order the model numbers them: vCPUs, then the roles, then main. */
function threadOrder(name: string): number {
  const vcpu = /^vcpu-(\d+)$/.exec(name);
  if (vcpu) return Number(vcpu[1]);
  const roles = ['notifier', 'evtchn', 'juggler', 'hva-race', 'main'];
  const i = roles.indexOf(name);
  return 1000 + (i < 0 ? roles.length : i);
}

/** ASCII only (trace viewers choke on some code points in names). */
function ascii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** The step that last freed or changed the finding's page (the cause of a use-after-free or a stale entry). */
function causeStep(events: readonly InterleavingEvent[], finding: InterleavingEvent): InterleavingEvent | undefined {
  for (let i = events.length - 2; i >= 0; i--) {
    const e = events[i]!;
    if (e.pfn === finding.pfn && finding.pfn !== undefined && (e.step.startsWith('page-free') || e.step.startsWith('mm-change') || e.step.startsWith('invalidate-clear'))) return e;
  }
  return undefined;
}

function stepArgs(e: InterleavingEvent): Record<string, unknown> {
  return {
    order: e.order,
    ...(e.cache !== undefined ? { cache: e.cache } : {}),
    ...(e.gfn !== undefined ? { gfn: e.gfn } : {}),
    ...(e.pfn !== undefined ? { pfn: e.pfn } : {}),
    mmu_invalidate_seq: e.seq,
    mn_active_invalidate_count: e.count,
    generation: e.generation,
    ...e.args,
    ...(e.repeats !== undefined ? { repeats: e.repeats, lastOrder: e.lastOrder } : {}),
  };
}

/** Spans that enclose steps on one thread: [first step's prefix, the prefixes that end it]. */
const SPANS: readonly { readonly name: string; readonly begin: string; readonly end: readonly string[] }[] = [
  { name: 'kvm_gpc_refresh (hva_to_pfn_retry)', begin: 'refresh-start', end: ['refresh-install', 'refresh-fail'] },
  { name: 'mmu notifier invalidation', begin: 'invalidate-start', end: ['invalidate-end'] },
];

/** The trace of `finding` (its interleaving), with `title` in the metadata. */
export function perfettoTrace(finding: StressFinding, title: string): PerfettoTrace {
  const events = finding.interleaving;
  const threads = [...new Set(events.map((e) => e.thread))].sort((a, b) => threadOrder(a) - threadOrder(b) || a.localeCompare(b));
  const tid = (name: string): number => threads.indexOf(name) + 1;
  const out: TraceEvent[] = [{ name: 'process_name', ph: 'M', pid: PID, args: { name: ascii(`gpc-lab: ${finding.property}`) } }];
  threads.forEach((t, i) => {
    out.push({ name: 'thread_name', ph: 'M', pid: PID, tid: i + 1, args: { name: ascii(t) } });
    out.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid: i + 1, args: { sort_index: i } });
  });
  const first = events[0]?.order ?? 0;
  const ts = (e: InterleavingEvent): number => (e.order - first) * STEP_US;

  // Flows: racing pair, and cause -> finding.
  const flows = new Map<InterleavingEvent, { id: number; dir: 'out' | 'in' }[]>();
  let nextFlow = 1;
  // An arrow always points forward in time (from the earlier of the two steps).
  const link = (a: InterleavingEvent | undefined, b: InterleavingEvent | undefined): void => {
    if (!a || !b || a === b) return;
    const [from, to] = a.order <= b.order ? [a, b] : [b, a];
    const id = nextFlow++;
    flows.set(from, [...(flows.get(from) ?? []), { id, dir: 'out' }]);
    flows.set(to, [...(flows.get(to) ?? []), { id, dir: 'in' }]);
  };
  const last = events[events.length - 1];
  const race = racingSteps(finding);
  link(race.other, race.own ?? last);
  if (last && last.step === 'FINDING') link(causeStep(events, last), last);

  // Enclosing spans (open ones run to the trace's end).
  for (const t of threads) {
    const mine = events.filter((e) => e.thread === t);
    for (const span of SPANS) {
      let open: InterleavingEvent | undefined;
      for (const e of mine) {
        if (e.step.startsWith(span.begin)) open = e;
        else if (open && span.end.some((p) => e.step.startsWith(p))) {
          out.push({ name: span.name, ph: 'X', cat: 'span', pid: PID, tid: tid(t), ts: ts(open), dur: ts(e) - ts(open) + STEP_US, args: { from: open.order, to: e.order } });
          open = undefined;
        }
      }
    }
  }
  // One slice per step; a flow id can be bound to one slice only, so a step with two flows gets a
  // nested zero-width slice for the second.
  for (const e of events) {
    const base = { name: ascii(e.step), ph: 'X' as const, cat: 'step', pid: PID, tid: tid(e.thread), ts: ts(e), dur: STEP_US, args: stepArgs(e) };
    const mine = flows.get(e) ?? [];
    if (mine.length === 0) out.push(base);
    mine.forEach((f, i) => {
      const slice = i === 0 ? base : { ...base, name: ascii(`${e.step} (flow)`), ts: ts(e) + 1, dur: STEP_US - 2 };
      out.push({ ...slice, bind_id: f.id, ...(f.dir === 'out' ? { flow_out: true } : { flow_in: true }) });
    });
  }
  // Counters, at each step where they change.
  const counters: [string, (e: InterleavingEvent) => number][] = [
    ['mmu_invalidate_seq', (e) => e.seq],
    ['mn_active_invalidate_count', (e) => e.count],
    ['memslot generation', (e) => e.generation],
  ];
  for (const [name, get] of counters) {
    let previous: number | undefined;
    for (const e of events) {
      const v = get(e);
      if (v === previous) continue;
      previous = v;
      out.push({ name, ph: 'C', pid: PID, ts: ts(e), args: { value: v } });
    }
  }
  if (last?.cache !== undefined) {
    const cache = last.cache;
    let valid: number | undefined;
    for (const e of events) {
      if (e.cache !== cache) continue;
      const v = e.step.startsWith('refresh-install') ? 1 : e.step.startsWith('invalidate-clear') || e.step.startsWith('deactivate') || (e.step.startsWith('refresh-start') && e.args.valid === false) ? 0 : undefined;
      if (v === undefined || v === valid) continue;
      valid = v;
      out.push({ name: `valid (gpc ${cache})`, ph: 'C', pid: PID, ts: ts(e), args: { value: v } });
    }
  }
  // Metadata first; then by time, an enclosing span before the steps it encloses: timestamps never
  // decrease along a track.
  const meta = out.filter((e) => e.ph === 'M');
  const timed = out.filter((e) => e.ph !== 'M').sort((a, b) => a.ts! - b.ts! || (b.dur ?? 0) - (a.dur ?? 0));
  return { traceEvents: [...meta, ...timed], displayTimeUnit: 'ns', metadata: { title: ascii(title), property: ascii(finding.property), logicalTime: `1 step = ${STEP_US} us of trace time (the global order of the flight recorder; no wall time)` } };
}
