/**
 * lockdep-lite: lock debugging that can be switched on per thread and costs one module-variable
 * test per lock call when off.
 *
 * Per thread (module state, each worker has its own): the stack of held locks.
 * Shared (the lockdep buffer, made once by the main thread): the lock-order graph between lock
 * classes, and the findings.
 *
 * Checks:
 *  - recursion: acquiring a lock this thread already holds (a certain self-deadlock) -> throws
 *    LockdepError before blocking; a second irq-context read of an rwlock is allowed (qrwlock lets
 *    irq readers pass a waiting writer);
 *  - unlock of a lock this thread does not hold -> throws LockdepError;
 *  - a sleeping lock (mutex) taken while a spinning lock (spinlock, rwlock) is held -> throws;
 *  - lock-order inversion: acquiring class B while holding class A records the edge A -> B with
 *    the thread's held chain; if B -> ... -> A is already in the graph, the cycle is recorded as a
 *    finding with both acquisition chains (not thrown: like the kernel, an inversion is a
 *    deadlock that *could* happen, and the run goes on);
 *  - assertHeld(mem, base, mode) for functions that need a lock held (named `...Locked`).
 *
 * Subclasses (the kernel's read_lock_nested / lock_set_subclass): the graph's nodes are (class,
 * subclass) pairs, node = subclass * MAX_LOCK_CLASSES + class, as the kernel gives each subclass of
 * a key its own lock_class. Edges within one node are skipped (two locks of one class, one
 * subclass: lockdep-lite does not report that nesting); two subclasses of one class are two nodes,
 * so an annotated nesting (xen.c's runstate gpc1 at subclass 1 over gpc2 at 0) is order-checked
 * and the reverse nesting closes a cycle. Reports name a subclass as "class/sub".
 *
 * Lockdep buffer layout (Int32 slots):
 *   0 MAGIC | 1 FINDING_COUNT (only goes up) | 3 ENABLED_THREADS (only goes up) |
 *   4..19 GRAPH_MUTEX (a lock block; futex mutex, cold path)
 *   EDGE_BASE + from*LOCK_NODES + to: 0 = no edge, else thread index + 1 of the first recorder
 *   CHAIN_BASE + (from*LOCK_NODES+to)*CHAIN_LEN: the recorder's held nodes at that moment, -1 padded
 *   FINDING_BASE + k*FINDING_INTS: kind, thread, from, to, first hop of the reverse path, chain A, chain B
 * Guard: GRAPH_MUTEX for EDGE/CHAIN/FINDING writes; reads of EDGE are Atomics loads (an edge, once
 * set, never changes, so a racy read at worst misses a brand-new edge and takes the mutex).
 */
import { LOCK_BLOCK_INTS, LockKind, LockSlot } from './lock-block.js';
import { MAX_LOCK_CLASSES, lockClassName } from './lock-classes.js';
import { futexMutexLock, futexMutexUnlock } from './futex-mutex.js';

export const LOCK_MODE_WRITE = 1;
export const LOCK_MODE_READ = 2;
export const LOCK_MODE_READ_IRQ = 3;
export type HeldMode = 'read' | 'write' | 'any';

/** Subclasses per lock class (the kernel has MAX_LOCKDEP_SUBCLASSES = 8; the model nests at most two deep). */
export const MAX_LOCK_SUBCLASSES = 4;
/** Graph nodes: one per (class, subclass). */
const LOCK_NODES = MAX_LOCK_CLASSES * MAX_LOCK_SUBCLASSES;

const MAGIC = 0x6c646570; // "ldep"
const FINDING_COUNT = 1;
/** A lock block (slots 4..19): its STATE is the futex-mutex word, its stats slots count contention. */
const GRAPH_MUTEX = 4;
const ENABLED_THREADS = 3;
const CHAIN_LEN = 8;
const EDGE_BASE = GRAPH_MUTEX + LOCK_BLOCK_INTS;
const CHAIN_BASE = EDGE_BASE + LOCK_NODES * LOCK_NODES;
const FINDING_BASE = CHAIN_BASE + LOCK_NODES * LOCK_NODES * CHAIN_LEN;
const MAX_FINDINGS = 16;
const FINDING_INTS = 5 + 2 * CHAIN_LEN;
const LOCKDEP_INTS = FINDING_BASE + MAX_FINDINGS * FINDING_INTS;

export const enum LockdepFindingKind {
  ORDER_INVERSION = 1,
}

export class LockdepError extends Error {
  override readonly name = 'LockdepError';
}

/** A lock-order cycle: `chainA` made the edge that closed it, `chainB` is the recorded reverse edge. */
export interface LockdepFinding {
  kind: 'order-inversion';
  thread: number;
  /** Held classes then the acquired class, for the acquisition that closed the cycle. */
  chainA: string[];
  /** The earlier acquisition chain that recorded the reverse order. */
  chainB: string[];
  chainBThread: number;
  message: string;
}

/** Creates the shared lockdep buffer (main thread, once per run). */
export function createLockdepBuffer(): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(LOCKDEP_INTS * 4);
  const mem = new Int32Array(buffer);
  mem[0] = MAGIC;
  return buffer;
}

/** True while lockdep is on in this thread. Read by every lock call. */
export let lockdepEnabled = false;

let graph: Int32Array = new Int32Array(0);
let thisThread = -1;
let thisThreadName = '';

const MAX_HELD = 48;
const heldMem: (Int32Array | undefined)[] = new Array<Int32Array | undefined>(MAX_HELD).fill(undefined);
const heldBase = new Int32Array(MAX_HELD);
/** The held lock's graph node (class and subclass). */
const heldClass = new Int32Array(MAX_HELD);
const heldMode = new Int32Array(MAX_HELD);
/** 1 if it was taken by a trylock (it adds no edge of its own, also when its subclass is re-set). */
const heldTry = new Int32Array(MAX_HELD);
let heldDepth = 0;
const dfsStack = new Int32Array(LOCK_NODES * LOCK_NODES);
const dfsSeen = new Int32Array(LOCK_NODES);
const dfsParent = new Int32Array(LOCK_NODES);

/** The graph node of (class, subclass). */
function lockNode(lockClass: number, subclass: number): number {
  return subclass * MAX_LOCK_CLASSES + lockClass;
}

/** "gpc.lock" for subclass 0, "gpc.lock/1" for subclass 1 (cold path). */
export function lockNodeName(node: number): string {
  const subclass = Math.floor(node / MAX_LOCK_CLASSES);
  const name = lockClassName(node % MAX_LOCK_CLASSES);
  return subclass === 0 ? name : `${name}/${subclass}`;
}

/** Turns lockdep on in the calling thread. */
export function lockdepEnable(buffer: SharedArrayBuffer, threadIndex: number, threadName: string): void {
  const mem = new Int32Array(buffer);
  if (mem[0] !== MAGIC) throw new Error('lockdepEnable: not a lockdep buffer (use createLockdepBuffer())');
  graph = mem;
  thisThread = threadIndex;
  thisThreadName = threadName;
  heldDepth = 0;
  lockdepEnabled = true;
  Atomics.add(graph, ENABLED_THREADS, 1);
}

/** Turns lockdep off in the calling thread (tests). */
export function lockdepDisable(): void {
  lockdepEnabled = false;
  heldDepth = 0;
  heldMem.fill(undefined);
}

/** How many locks this thread holds (lockdep on), for assertions and stall dumps. */
export function lockdepHeldCount(): number {
  return heldDepth;
}

/** The held locks of this thread as "class(mode)" strings, outermost first. Cold path. */
export function lockdepHeldDescription(): string[] {
  const out: string[] = [];
  for (let i = 0; i < heldDepth; i++) out.push(`${lockNodeName(heldClass[i]!)}(${modeName(heldMode[i]!)})`);
  return out;
}

function modeName(mode: number): string {
  return mode === LOCK_MODE_WRITE ? 'write' : mode === LOCK_MODE_READ ? 'read' : 'read-irq';
}

function findHeld(mem: Int32Array, base: number): number {
  for (let i = heldDepth - 1; i >= 0; i--) {
    const m = heldMem[i];
    if (heldBase[i] === base && m !== undefined && m.buffer === mem.buffer) return i;
  }
  return -1;
}

function describeLock(mem: Int32Array, base: number): string {
  return `${lockClassName(mem[base + LockSlot.CLASS]!)}@${base}`;
}

/**
 * Called before a blocking acquisition (and after a successful trylock, with `isTry`): checks
 * recursion, sleeping-in-atomic and lock order, then records the lock as held, at `subclass`
 * (0 unless the caller annotates a nesting, as read_lock_nested does).
 */
export function lockdepAcquire(mem: Int32Array, base: number, mode: number, isTry: boolean, subclass = 0): void {
  if (subclass < 0 || subclass >= MAX_LOCK_SUBCLASSES) throw new LockdepError(`lock subclass ${subclass} out of range (0..${MAX_LOCK_SUBCLASSES - 1})`);
  const lockClass = lockNode(mem[base + LockSlot.CLASS]!, subclass);
  const kind = mem[base + LockSlot.KIND]!;
  const already = findHeld(mem, base);
  if (already >= 0 && !(mode === LOCK_MODE_READ_IRQ && heldMode[already] !== LOCK_MODE_WRITE)) {
    throw new LockdepError(
      `possible recursive locking: thread ${thisThreadName} acquires ${describeLock(mem, base)} (${modeName(mode)}) ` +
        `while already holding it (${modeName(heldMode[already]!)}); held: [${lockdepHeldDescription().join(', ')}]`,
    );
  }
  if (kind === LockKind.MUTEX && !isTry) {
    for (let i = 0; i < heldDepth; i++) {
      const heldKind = heldMem[i]![heldBase[i]! + LockSlot.KIND];
      if (heldKind === LockKind.SPINLOCK || heldKind === LockKind.RWLOCK) {
        throw new LockdepError(
          `sleeping lock ${describeLock(mem, base)} taken in atomic context by thread ${thisThreadName}: ` +
            `it holds ${describeLock(heldMem[i]!, heldBase[i]!)}; held: [${lockdepHeldDescription().join(', ')}]`,
        );
      }
    }
  }
  if (!isTry) addEdgesTo(heldDepth, lockClass);
  if (heldDepth >= MAX_HELD) throw new LockdepError(`thread ${thisThreadName} holds more than ${MAX_HELD} locks`);
  heldMem[heldDepth] = mem;
  heldBase[heldDepth] = base;
  heldClass[heldDepth] = lockClass;
  heldMode[heldDepth] = mode;
  heldTry[heldDepth] = isTry ? 1 : 0;
  heldDepth++;
  if (mode === LOCK_MODE_WRITE) Atomics.store(mem, base + LockSlot.OWNER, thisThread + 1);
}

/** Records the edges held[0..below) -> node (the held locks under a new acquisition). */
function addEdgesTo(below: number, node: number): void {
  for (let i = 0; i < below; i++) {
    const from = heldClass[i]!;
    if (from !== node && Atomics.load(graph, EDGE_BASE + from * LOCK_NODES + node) === 0) addEdge(from, node, below);
  }
}

/**
 * lock_set_subclass: a held lock now counts as `subclass` of its class (kernel/locking/lockdep.c,
 * __lock_set_class: change the held entry's class, then reacquire_held_locks() re-validates it and
 * every lock taken after it against the locks below, so the new node gets its order edges; a
 * trylocked entry stays a trylock and adds none). xen.c's kvm_xen_update_runstate_guest() calls it
 * on gpc1 before it takes gpc2. Throws if this thread does not hold the lock. Not a hot path:
 * with lockdep off the caller's `if (lockdepEnabled)` skips it.
 */
export function lockdepSetSubclass(mem: Int32Array, base: number, subclass: number): void {
  if (subclass < 0 || subclass >= MAX_LOCK_SUBCLASSES) throw new LockdepError(`lock subclass ${subclass} out of range (0..${MAX_LOCK_SUBCLASSES - 1})`);
  const at = findHeld(mem, base);
  if (at < 0) {
    throw new LockdepError(
      `lock_set_subclass on a lock not held: thread ${thisThreadName}, ${describeLock(mem, base)}; held: [${lockdepHeldDescription().join(', ')}]`,
    );
  }
  heldClass[at] = lockNode(mem[base + LockSlot.CLASS]!, subclass);
  for (let j = at; j < heldDepth; j++) if (heldTry[j] === 0) addEdgesTo(j, heldClass[j]!);
}

/** A failed blocking acquisition never happens; a trylock that failed was never recorded. */
export function lockdepRelease(mem: Int32Array, base: number): void {
  const at = findHeld(mem, base);
  if (at < 0) {
    throw new LockdepError(
      `bad unlock balance: thread ${thisThreadName} releases ${describeLock(mem, base)} which it does not hold; ` +
        `held: [${lockdepHeldDescription().join(', ')}]`,
    );
  }
  if (heldMode[at] === LOCK_MODE_WRITE) Atomics.store(mem, base + LockSlot.OWNER, 0);
  for (let i = at; i < heldDepth - 1; i++) {
    heldMem[i] = heldMem[i + 1];
    heldBase[i] = heldBase[i + 1]!;
    heldClass[i] = heldClass[i + 1]!;
    heldMode[i] = heldMode[i + 1]!;
    heldTry[i] = heldTry[i + 1]!;
  }
  heldDepth--;
  heldMem[heldDepth] = undefined;
}

/**
 * Asserts this thread holds the lock in `mode` ('any' = read or write). No-op with lockdep off:
 * kept tiny so the optimizing compiler inlines it into hot `...Locked` functions, leaving one
 * module-variable test there.
 */
export function assertHeld(mem: Int32Array, base: number, mode: HeldMode): void {
  if (lockdepEnabled) assertHeldChecked(mem, base, mode);
}

function assertHeldChecked(mem: Int32Array, base: number, mode: HeldMode): void {
  const at = findHeld(mem, base);
  const held = at >= 0 ? heldMode[at]! : 0;
  const ok = at >= 0 && (mode === 'any' || (mode === 'write') === (held === LOCK_MODE_WRITE));
  if (!ok) {
    throw new LockdepError(
      `lock not held: thread ${thisThreadName} needs ${describeLock(mem, base)} held for ${mode}` +
        (at >= 0 ? ` but holds it for ${modeName(held)}` : '') +
        `; held: [${lockdepHeldDescription().join(', ')}]`,
    );
  }
}

function addEdge(from: number, to: number, below: number): void {
  futexMutexLock(graph, GRAPH_MUTEX, GRAPH_MUTEX, 100);
  try {
    if (Atomics.load(graph, EDGE_BASE + from * LOCK_NODES + to) !== 0) return;
    const reversePathEnd = findPath(to, from);
    Atomics.store(graph, EDGE_BASE + from * LOCK_NODES + to, thisThread + 1);
    const chainAt = CHAIN_BASE + (from * LOCK_NODES + to) * CHAIN_LEN;
    writeHeldChain(chainAt, to, below);
    if (reversePathEnd) recordInversion(from, to);
  } finally {
    futexMutexUnlock(graph, GRAPH_MUTEX);
  }
}

/** The chain: the held nodes below the acquisition (the last CHAIN_LEN - 1 of them), then the acquired node. */
function writeHeldChain(at: number, acquired: number, below: number): void {
  let n = 0;
  const start = Math.max(0, below - (CHAIN_LEN - 1));
  for (let i = start; i < below; i++) Atomics.store(graph, at + n++, heldClass[i]!);
  Atomics.store(graph, at + n++, acquired);
  while (n < CHAIN_LEN) Atomics.store(graph, at + n++, -1);
}

/** Depth-first search over recorded edges; fills dfsParent. True if `target` is reachable. */
function findPath(start: number, target: number): boolean {
  dfsSeen.fill(0);
  let top = 0;
  dfsStack[top++] = start;
  dfsSeen[start] = 1;
  dfsParent[start] = -1;
  while (top > 0) {
    const node = dfsStack[--top]!;
    if (node === target) return true;
    for (let next = 0; next < LOCK_NODES; next++) {
      if (dfsSeen[next] === 0 && Atomics.load(graph, EDGE_BASE + node * LOCK_NODES + next) !== 0) {
        dfsSeen[next] = 1;
        dfsParent[next] = node;
        dfsStack[top++] = next;
      }
    }
  }
  return false;
}

function recordInversion(from: number, to: number): void {
  const index = Atomics.add(graph, FINDING_COUNT, 1);
  if (index >= MAX_FINDINGS) return;
  const at = FINDING_BASE + index * FINDING_INTS;
  // The reverse path to -> ... -> from: its first edge (to -> dfs child) carries the earlier chain.
  let node = from;
  let firstHop = from;
  while (dfsParent[node] !== -1 && dfsParent[node] !== undefined) {
    if (dfsParent[node] === to) firstHop = node;
    node = dfsParent[node]!;
  }
  Atomics.store(graph, at, LockdepFindingKind.ORDER_INVERSION);
  Atomics.store(graph, at + 1, thisThread);
  Atomics.store(graph, at + 2, from);
  Atomics.store(graph, at + 3, to);
  Atomics.store(graph, at + 4, firstHop);
  const chainA = CHAIN_BASE + (from * LOCK_NODES + to) * CHAIN_LEN;
  const chainB = CHAIN_BASE + (to * LOCK_NODES + firstHop) * CHAIN_LEN;
  for (let i = 0; i < CHAIN_LEN; i++) {
    Atomics.store(graph, at + 5 + i, Atomics.load(graph, chainA + i));
    Atomics.store(graph, at + 5 + CHAIN_LEN + i, Atomics.load(graph, chainB + i));
  }
}

/** How many lock-order findings the run recorded (may exceed those stored). */
export function lockdepFindingCount(buffer: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(buffer), FINDING_COUNT);
}

/** The recorded lock-order findings, rendered for a report. Cold path (main thread). */
export function readLockdepFindings(buffer: SharedArrayBuffer): LockdepFinding[] {
  const mem = new Int32Array(buffer);
  const count = Math.min(Atomics.load(mem, FINDING_COUNT), MAX_FINDINGS);
  const out: LockdepFinding[] = [];
  for (let k = 0; k < count; k++) {
    const at = FINDING_BASE + k * FINDING_INTS;
    const from = mem[at + 2]!;
    const to = mem[at + 3]!;
    const firstHop = mem[at + 4]!;
    const chainA = readChain(mem, at + 5);
    const chainB = readChain(mem, at + 5 + CHAIN_LEN);
    const chainBThread = mem[EDGE_BASE + to * LOCK_NODES + firstHop]! - 1;
    out.push({
      kind: 'order-inversion',
      thread: mem[at + 1]!,
      chainA,
      chainB,
      chainBThread,
      message:
        `possible circular locking dependency: thread ${mem[at + 1]} took ${lockNodeName(to)} while holding ` +
        `${lockNodeName(from)} (chain: ${chainA.join(' -> ')}), but earlier ${lockNodeName(to)} was held when ` +
        `a lock leading to ${lockNodeName(from)} was taken (chain: ${chainB.join(' -> ')})`,
    });
  }
  return out;
}

function readChain(mem: Int32Array, at: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < CHAIN_LEN; i++) {
    const c = mem[at + i]!;
    if (c >= 0) out.push(lockNodeName(c));
  }
  return out;
}
