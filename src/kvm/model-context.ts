/**
 * A thread's handle on one VM: typed views over every shared buffer, its thread index, its random
 * stream, its local counters and latency recorders. Built once per thread (cold path); the hot
 * paths take it as their first argument and allocate nothing.
 */
import { hostMmView } from '../mem/host-mm-layout.js';
import type { HostMemory } from '../mem/host-page-table.js';
import { memslotsView, memslotsGeneration, type Memslots } from '../mem/memslots.js';
import { Random } from '../util/random.js';
import { flightRecorderView, recordEvent, type FlightRecorder } from '../trace/flight-recorder.js';
import { findingsView, reportFinding, type Findings } from '../trace/findings.js';
import { STEP_FINDING } from '../trace/trace-steps.js';
import { LatencyRecorder } from '../harness/histogram.js';
import { schedOn, schedPoint } from '../sched/turn-gate.js';
import { setBugSwitches } from './bug-switches.js';
import { setFixSwitches } from './fix-switches.js';
import { guestLayout, type GuestLayout } from './guest-layout.js';
import { registerStride } from './guest-registers.js';
import { NO_WAIT_SINK, type ModelWaitSink } from './model-wait.js';
import { STAT_COUNT, ST_PROP_CHECKS, flushStats } from './thread-stats.js';
import type { ProtocolSteps } from './protocols/protocol-variant.js';
import { protocolById, resolveProtocol } from './protocols/registry.js';
import {
  VM_BUG_MASK,
  VM_EVENT_PERMILLE,
  VM_EVICTION_REQUEST,
  VM_FIX_MASK,
  VM_GUEST_STEPS,
  VM_MMU_SEQ,
  VM_MN_COUNT,
  VM_NVCPUS,
  VM_ORACLES,
  VM_POST_PERMILLE,
  VM_PROTOCOL,
  VM_SEED,
  VM_STEAL_PERMILLE,
  VM_STRATEGY,
  VM_WORKLOAD,
} from './vm-layout.js';

/** Every shared buffer of one VM. Plain data: posted to each worker in its task. */
export interface VmBuffers {
  readonly vm: SharedArrayBuffer;
  readonly hostMm: SharedArrayBuffer;
  readonly ram: SharedArrayBuffer;
  readonly swap: SharedArrayBuffer;
  readonly memslots: SharedArrayBuffer;
  readonly gpcs: SharedArrayBuffer;
  readonly vcpus: SharedArrayBuffer;
  /** The guest-uses register file (guest-registers.ts). */
  readonly registers: SharedArrayBuffer;
  readonly stats: SharedArrayBuffer;
  readonly findings: SharedArrayBuffer;
  readonly trace: SharedArrayBuffer;
  /** Memory a memslot DELETE took away, and the writes into it (src/oracle/retired-memory.ts). */
  readonly retired: SharedArrayBuffer;
}

export interface ModelContext {
  readonly vm: Int32Array;
  readonly gpcs: Int32Array;
  readonly vcpus: Int32Array;
  /** The shared guest-uses register file and its ints per vCPU. */
  readonly registers: Int32Array;
  readonly registerStride: number;
  readonly host: HostMemory;
  readonly ram: Int32Array;
  readonly ms: Memslots;
  readonly fr: FlightRecorder;
  readonly findings: Findings;
  readonly statsShared: Int32Array;
  /** The retired-memory buffer (src/oracle/retired-memory.ts). */
  readonly retired: Int32Array;
  readonly layout: GuestLayout;
  readonly thread: number;
  readonly rng: Random;
  readonly counters: Float64Array;
  readonly nvcpus: number;
  readonly pageShift: number;
  readonly pageSize: number;
  readonly pageInts: number;
  readonly offsetMask: number;
  /** The entry-check strategy's id (strategies/registry.ts). */
  readonly strategy: number;
  /** Request bits the notifier's eviction of a guest-uses vCPU carries (the strategy's). */
  readonly evictionRequest: number;
  readonly oracles: boolean;
  readonly workload: number;
  readonly guestSteps: number;
  readonly eventPermille: number;
  readonly stealPermille: number;
  readonly postPermille: number;
  /** The run's protocol variant (VM_PROTOCOL), resolved once: the protocol's entry points dispatch through it. */
  readonly protocol: ProtocolSteps;
  /** Scratch for alias vpages of one gfn (mm events). */
  readonly aliases: Int32Array;
  /** vCPUs the current invalidation must evict, and their count in evictCount. */
  readonly evictList: Int32Array;
  readonly evictMark: Uint8Array;
  evictCount: number;
  /** Page epoch that the last hostFaultIn returned a pfn with (set by gpc refresh). */
  lastFaultEpoch: number;
  /** Generation this thread's current SRCU read section entered at, or -1 outside one. */
  srcuGeneration: number;
  /** DELETEs completed when this thread's current (or last) SRCU read section began (src/oracle/retired-memory.ts). */
  srcuDeleteStamp: number;
  /** DELETEs completed when this vCPU last set IN_GUEST_MODE (its hardware's writes are judged by it). */
  guestEntryDeleteStamp: number;
  readonly refreshLatency: LatencyRecorder;
  readonly evictionLatency: LatencyRecorder;
  /** Where this thread's long waits are reported (stall dumps); the thread wiring installs it. */
  waitSink: ModelWaitSink;
}

/**
 * Builds thread `thread`'s context (cold path), applies the run's bug switches to this thread and
 * picks the run's protocol steps (a runtime extra must have been loaded in this thread first:
 * useProtocolModules, src/kvm/protocols/registry.ts).
 */
export function openModelContext(buffers: VmBuffers, thread: number): ModelContext {
  const vm = new Int32Array(buffers.vm);
  const mm = hostMmView(buffers.hostMm);
  const nvcpus = vm[VM_NVCPUS]!;
  const layout = guestLayout(nvcpus, mm.pageSize);
  setBugSwitches(vm[VM_BUG_MASK]!);
  setFixSwitches(vm[VM_FIX_MASK]!);
  const ram = new Int32Array(buffers.ram);
  return {
    vm,
    gpcs: new Int32Array(buffers.gpcs),
    vcpus: new Int32Array(buffers.vcpus),
    registers: new Int32Array(buffers.registers),
    registerStride: registerStride(layout.caches.registersPerVcpu),
    host: { mm, ram, swap: new Int32Array(buffers.swap) },
    ram,
    ms: memslotsView(buffers.memslots),
    fr: flightRecorderView(buffers.trace),
    findings: findingsView(buffers.findings),
    statsShared: new Int32Array(buffers.stats),
    retired: new Int32Array(buffers.retired),
    layout,
    thread,
    rng: Random.forThread(vm[VM_SEED]! >>> 0, thread),
    counters: new Float64Array(STAT_COUNT),
    nvcpus,
    pageShift: mm.pageShift,
    pageSize: mm.pageSize,
    pageInts: mm.pageInts,
    offsetMask: mm.pageSize - 1,
    strategy: vm[VM_STRATEGY]!,
    evictionRequest: vm[VM_EVICTION_REQUEST]!,
    oracles: vm[VM_ORACLES] === 1,
    workload: vm[VM_WORKLOAD]!,
    guestSteps: vm[VM_GUEST_STEPS]!,
    eventPermille: vm[VM_EVENT_PERMILLE]!,
    stealPermille: vm[VM_STEAL_PERMILLE]!,
    postPermille: vm[VM_POST_PERMILLE]!,
    protocol: resolveProtocol(protocolById(vm[VM_PROTOCOL]!)),
    aliases: new Int32Array(8),
    evictList: new Int32Array(nvcpus),
    evictMark: new Uint8Array(nvcpus),
    evictCount: 0,
    lastFaultEpoch: 0,
    srcuGeneration: -1,
    srcuDeleteStamp: 0,
    guestEntryDeleteStamp: 0,
    refreshLatency: new LatencyRecorder(),
    evictionLatency: new LatencyRecorder(),
    waitSink: NO_WAIT_SINK,
  };
}

/**
 * Logs a protocol step in this thread's flight-recorder ring (with seq, count and generation).
 * The count is a plain, racy load: it only annotates the trace (an Atomics.load here cost ~10 ns
 * per step), and may lag an Atomics.add/sub made by another thread an instant before.
 */
export function traceStep(ctx: ModelContext, step: number, cache: number, gpa: number, pfn: number, arg: number): void {
  // A scheduling point under a chaos or controlled schedule (src/sched/turn-gate.ts), before the step is logged.
  if (schedOn) schedPoint(step);
  recordEvent(ctx.fr, ctx.thread, step, cache, gpa, pfn, Atomics.load(ctx.vm, VM_MMU_SEQ), ctx.vm[VM_MN_COUNT]!, memslotsGeneration(ctx.ms), arg);
}

/** Reports a finding from this thread: its FINDING step, then counts, details, ring snapshots. */
export function finding(ctx: ModelContext, property: number, cache: number, gpa: number, pfn: number, a: number, b: number, c: number): void {
  traceStep(ctx, STEP_FINDING, cache, gpa, pfn, property);
  reportFinding(ctx.findings, ctx.fr, ctx.thread, property, cache, gpa, pfn, a, b, c);
}

/** Counts one oracle check of `property`. */
export function countCheck(ctx: ModelContext, property: number): void {
  ctx.counters[ST_PROP_CHECKS + property]! += 1;
}

/** Publishes this thread's counters to the shared stats buffer. */
export function flushCounters(ctx: ModelContext): void {
  flushStats(ctx.statsShared, ctx.thread, ctx.counters);
}
