/**
 * The issue's speed goals and the seed thread's two positions, judged from the 1-vCPU idle figures
 * of the same run (the figures the goals are about: no contention, no invalidation).
 *
 * Goals: `locked` per cache within 1.3x of read lock+unlock's raw Atomics floor (add+sub per
 * lock); `generation` within 1.2x of one Atomics.load plus a compare.
 */
import type { BatchStats } from '../harness/batch-timer.js';
import { ratioVerdict } from '../harness/measured-difference.js';
import type { GoalResult, VmentryConfigResult } from './bench-report.js';
import type { NativeReport } from './native-bench.js';
import { formatNs } from '../util/format-ns.js';

export const LOCKED_GOAL = 1.3;
export const GENERATION_GOAL = 1.2;

/** ns as reports print them (src/util/format-ns.ts). */
const fmt = formatNs;

function byName(figures: readonly BatchStats[]): Map<string, BatchStats> {
  return new Map(figures.map((f) => [f.name, f]));
}

/** The configuration the goals are judged on: 1 vCPU, idle (else the first one measured). */
export function referenceConfig(configs: readonly VmentryConfigResult[]): VmentryConfigResult | undefined {
  return configs.find((c) => c.vcpus === 1 && c.load === 'idle') ?? configs[0];
}

export function judgeGoals(configs: readonly VmentryConfigResult[], lockedCounts: readonly number[]): GoalResult[] {
  const ref = referenceConfig(configs);
  if (!ref) return [];
  const f = byName(ref.figures);
  const goals: GoalResult[] = [];
  const addSub = f.get('raw: add+sub');
  const addLoadSub = f.get('raw: add+load+sub');
  const load = f.get('raw: Atomics.load');
  for (const n of lockedCounts) {
    const check = f.get(`check: locked x${n}`);
    const floorName = n === 1 ? 'raw: add+sub' : `raw: add+sub x${n}`;
    const floor = f.get(floorName);
    if (!check || !floor || check.ratioToFloor === undefined) continue;
    const perCache = check.median / n;
    const ratio = check.ratioToFloor;
    const note = `${fmt(perCache)} ns per cache against ${fmt(floor.median / n)} ns of add+sub per lock`;
    let explanation = '';
    if (addLoadSub && addSub) {
      const generationLoad = addLoadSub.median - addSub.median;
      explanation =
        `gpcCheckLocked re-reads the memslots generation with an Atomics.load (memslotsGeneration: ` +
        `+${fmt(generationLoad)} ns, add+load+sub = ${(addLoadSub.median / addSub.median).toFixed(2)}x add+sub), ` +
        `so add+load+sub is the least a locked check can cost; the rest is ` +
        `gpcCheckLocked's plain loads (active, gpa, generation, uhva, valid, ctx), the lockdep and bug-switch tests, the call ` +
        `and the per-cache loop`;
    }
    goals.push({
      statement: `locked: per cache <= ${LOCKED_GOAL}x read lock+unlock's raw Atomics floor (add+sub per lock)`,
      explanation,
      verdict: ratioVerdict(check, floor),
      goal: `locked x${n}: per cache <= ${LOCKED_GOAL}x read lock+unlock's raw Atomics floor`,
      figure: check.name,
      floor: floor.name,
      ratio,
      target: LOCKED_GOAL,
      met: ratio <= LOCKED_GOAL,
      note,
    });
  }
  const generation = f.get('check: generation');
  const bare = f.get('check: generation, bare compare');
  const loadCompare = f.get('raw: Atomics.load+compare');
  if (generation && loadCompare && generation.ratioToFloor !== undefined) {
    const extra = generation.median - loadCompare.median;
    goals.push({
      statement: `generation <= ${GENERATION_GOAL}x one Atomics.load plus a compare`,
      explanation: '',
      verdict: ratioVerdict(generation, loadCompare),
      goal: `generation <= ${GENERATION_GOAL}x one Atomics.load plus a compare`,
      figure: generation.name,
      floor: loadCompare.name,
      ratio: generation.ratioToFloor,
      target: GENERATION_GOAL,
      met: generation.ratioToFloor <= GENERATION_GOAL,
      note:
        `${fmt(generation.median)} ns against ${fmt(loadCompare.median)} ns` +
        (load ? ` (Atomics.load alone ${fmt(load.median)} ns)` : '') +
        `; the ${fmt(Math.max(0, extra))} ns over the floor are the call of the strategy's check function, ` +
        `and the loads of ctx.ms and gr.generation` +
        (bare ? ` (the same compare called directly, memslotsGeneration(ms) === gr.generation: ${fmt(bare.median)} ns, ${(bare.ratioToFloor ?? 0).toFixed(2)}x)` : ''),
    });
  }
  return goals;
}

/** Per-vmentry cost added over the empty entry, from one set of figures (model or native). */
interface EntryCosts {
  readonly empty: BatchStats;
  added(name: string): number | undefined;
  check(name: string): number | undefined;
}

function entryCosts(figures: readonly BatchStats[]): EntryCosts | undefined {
  const f = byName(figures);
  const empty = f.get('vmentry: empty');
  if (!empty) return undefined;
  return {
    empty,
    added(name: string): number | undefined {
      const x = f.get(name);
      return x ? x.median - empty.median : undefined;
    },
    check(name: string): number | undefined {
      return f.get(name)?.median;
    },
  };
}

/** "+a ns", or "+a ns (within the noise)" when the difference is inside the empty entry's p25..p75. */
function addedText(a: number, empty: BatchStats): string {
  if (Math.abs(a) <= empty.p75 - empty.p25) return `+${fmt(Math.max(0, a))} ns (within the empty entry's p25..p75)`;
  return `+${fmt(a)} ns`;
}

/**
 * What the figures say about the seed's two positions (Paolo: "really slow"; David: "a single check
 * on ->generation"). With native figures (bench/native) the answer is theirs, the model's beside
 * them: V8's Atomics cost 10-20x a C11 acquire load, so the model's absolute figures and its
 * locked/generation ratio are not the kernel's.
 */
export function seedVerdict(configs: readonly VmentryConfigResult[], lockedCounts: readonly number[], native?: NativeReport): string[] {
  const ref = referenceConfig(configs);
  const model = ref ? entryCosts(ref.figures) : undefined;
  const c = native?.status === 'measured' ? entryCosts(native.figures) : undefined;
  if (c) return [...nativeSeedVerdict(c, model, lockedCounts), ...underNotifierVerdict(native!, configs)];
  const lines = model ? modelSeedVerdict(model, ref!, lockedCounts) : [];
  if (native && native.status === 'skipped' && native.note !== '' && lines.length > 0) {
    lines.push(`(${native.note}: these are the model's figures, which overstate a C11 acquire load's cost many times over.)`);
  }
  return lines;
}

function nativeSeedVerdict(n: EntryCosts, model: EntryCosts | undefined, lockedCounts: readonly number[]): string[] {
  const lines: string[] = [];
  const beside = (name: string): string => {
    const m = model?.added(name);
    return m === undefined ? '' : ` [model +${fmt(m)} ns]`;
  };
  const lockedParts: string[] = [];
  for (const k of lockedCounts) {
    const a = n.added(`vmentry: locked x${k}`);
    if (a !== undefined) lockedParts.push(`x${k} ${addedText(a, n.empty)}${beside(`vmentry: locked x${k}`)}`);
  }
  if (lockedParts.length > 0) {
    lines.push(
      `Paolo ("really slow to do on every vmentry"), natively (C11, cc -O2): the locked check adds, per vmentry over the bare ` +
        `entry path of ${fmt(n.empty.median)} ns [model ${model ? fmt(model.empty.median) : '-'} ns]: ${lockedParts.join(', ')}; ` +
        `a read_lock (fetch_add acquire) + read_unlock (fetch_sub release) per cache, so it grows with the number of caches ` +
        `(the bare path is the entry's software steps only, not the hardware VM entry and exit).`,
    );
  }
  const gen = n.added('vmentry: generation');
  if (gen !== undefined) {
    const genCheck = n.check('check: generation');
    const lockless = n.added('vmentry: lockless');
    lines.push(
      `David ("a single check on ->generation"), natively: the generation check adds ${addedText(gen, n.empty)} per vmentry` +
        `${beside('vmentry: generation')}` +
        (genCheck !== undefined ? `, ${fmt(genCheck)} ns alone (one acquire load and a compare)` : '') +
        `, whatever the number of caches` +
        (lockless !== undefined ? `; the 2025 lockless check (two caches, relaxed loads) adds ${addedText(lockless, n.empty)}${beside('vmentry: lockless')}.` : '.'),
    );
  }
  const nLocked2 = n.check('check: locked x2');
  const nGen = n.check('check: generation');
  if (nLocked2 !== undefined && nGen !== undefined && nGen > 0) {
    const mLocked2 = model?.check('check: locked x2');
    const mGen = model?.check('check: generation');
    const modelRatio = mLocked2 !== undefined && mGen !== undefined && mGen > 0 ? `; in the model ${(mLocked2 / mGen).toFixed(1)}x, which is V8's Atomics cost, not the kernel's` : '';
    lines.push(
      `With the two nested caches the locked check alone costs natively ${(nLocked2 / nGen).toFixed(1)}x the generation check ` +
        `(${fmt(nLocked2)} against ${fmt(nGen)} ns)${modelRatio}.`,
    );
  }
  return lines;
}

/** The locked check natively under the notifier thread, with the model's 1v inval-cached figure beside it. */
function underNotifierVerdict(native: NativeReport, configs: readonly VmentryConfigResult[]): string[] {
  const loaded = native.underNotifier;
  if (!loaded) return [];
  const f = byName(loaded.figures);
  const empty = f.get('vmentry: empty');
  const locked2 = f.get('vmentry: locked x2');
  if (!empty || !locked2) return [];
  const model = configs.find((c) => c.vcpus === 1 && c.load === 'inval-cached');
  const m = model ? byName(model.figures) : undefined;
  const mEmpty = m?.get('vmentry: empty');
  const mLocked2 = m?.get('vmentry: locked x2');
  return [
    `Under invalidations (a notifier thread write-locking and invalidating the caches at ${loaded.ratePerS}/s), natively the two-cache ` +
      `locked check adds +${fmt(locked2.median - empty.median)} ns per vmentry, ${loaded.figures.find((x) => x.name === 'check: locked x2')?.refreshesPer1k.toFixed(2) ?? '-'} refreshes per 1000` +
      (mEmpty && mLocked2 ? ` [model, 1v inval-cached: +${fmt(mLocked2.median - mEmpty.median)} ns].` : '.'),
  ];
}

function modelSeedVerdict(m: EntryCosts, ref: VmentryConfigResult, lockedCounts: readonly number[]): string[] {
  const f = byName(ref.figures);
  const empty = m.empty;
  const load = f.get('raw: Atomics.load');
  const lines: string[] = [];
  const gen = m.added('vmentry: generation');
  const lockless = m.added('vmentry: lockless');
  const lockedParts: string[] = [];
  for (const n of lockedCounts) {
    const a = m.added(`vmentry: locked x${n}`);
    if (a !== undefined) lockedParts.push(`x${n} +${fmt(a)} ns (${((a / empty.median) * 100).toFixed(0)}%)`);
  }
  if (lockedParts.length > 0) {
    lines.push(
      `Paolo ("really slow to do on every vmentry"): the locked check adds, per vmentry over the bare entry path of ` +
        `${fmt(empty.median)} ns: ${lockedParts.join(', ')}; it grows with the number of caches (a read lock+unlock and an ` +
        `Atomics.load of the generation per cache).`,
    );
  }
  if (gen !== undefined) {
    lines.push(
      `David ("a single check on ->generation"): the generation check adds +${fmt(gen)} ns per vmentry ` +
        `(${((gen / empty.median) * 100).toFixed(0)}%)` +
        (load ? `, about ${(gen / load.median).toFixed(1)} Atomics.load` : '') +
        `, whatever the number of caches` +
        (lockless !== undefined ? `; the 2025 lockless check (two caches, plain loads) adds +${fmt(lockless)} ns.` : '.'),
    );
  }
  const locked2 = m.added('vmentry: locked x2');
  if (gen !== undefined && locked2 !== undefined && gen > 0) {
    lines.push(`With the two nested caches the locked check costs ${(locked2 / gen).toFixed(1)}x the generation check per vmentry.`);
  }
  return lines;
}
