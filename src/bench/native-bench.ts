/**
 * The native column of `gpc-lab bench` (issue 12, item 1): bench/native/vmentry-checks.c, the same
 * check shapes in C11 with the kernel's acquire/release, compiled at bench time with the system
 * `cc` (-std=c11 -O2; found on PATH) into a directory keyed by the source's hash, run between the
 * model's configuration rounds, its samples pooled and summarized like the model's figures.
 *
 * Cold path only. Any failure (no cc, no source, compile error, run error, bad output) becomes a
 * note in the report: never a crash, never an exit code change.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarizeVariants, type BatchStats, type BatchVariant } from '../harness/batch-timer.js';
import type { StrategyName } from '../kvm/strategies/registry.js';

export const NATIVE_SOURCE_PATH = 'bench/native/vmentry-checks.c';
export const NATIVE_CFLAGS: readonly string[] = ['-std=c11', '-O2', '-pthread'];
const COMPILE_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 120_000;

/** Native variant -> the model figure it is the counterpart of (same name unless listed). */
const MODEL_NAME_OF: Readonly<Record<string, string>> = {
  'raw: relaxed load': 'raw: plain load',
  'raw: 4 relaxed loads': 'raw: 4 plain loads',
  'raw: acquire load': 'raw: Atomics.load',
  'raw: acquire load+compare': 'raw: Atomics.load+compare',
};

export function modelCounterpart(nativeName: string): string {
  return MODEL_NAME_OF[nativeName] ?? nativeName;
}

export interface NativePlan {
  readonly batchSize: number;
  /** Timed samples per variant and round (pooled over the rounds): idle rounds, notifier rounds. */
  readonly samplesPerRound: number;
  readonly notifierSamplesPerRound: number;
  readonly warmupPerRound: number;
}

export type NativeFigure = BatchStats & {
  /** The model figure this one is the counterpart of. */
  readonly model: string;
  /** Failed checks (each refreshed the invalid caches at once) per 1000 operations, warm-up included. */
  readonly refreshesPer1k: number;
};

/** The locked check under a notifier thread write-locking and invalidating the 8 caches (rounds before the invalidation configurations). */
export interface NativeNotifierFigures {
  /** Asked for (the bench's --inval-rate) and achieved. */
  readonly ratePerS: number;
  readonly perSecond: number;
  readonly events: number;
  readonly rounds: number;
  readonly figures: NativeFigure[];
}

/** What the report carries: the pooled figures, or why there are none. */
export interface NativeReport {
  readonly status: 'measured' | 'skipped';
  /** Why it was skipped or stopped short (empty when all went well). */
  readonly note: string;
  /** The command that compiled the program (null when skipped before compiling). */
  readonly compile: string | null;
  readonly rounds: number;
  readonly plan: NativePlan | null;
  /** How the native rounds were interleaved with the model's. */
  readonly interleaving: string;
  /** Native figures, idle (ns/op), with their native floor; `model` names the model figure each is compared with. */
  readonly figures: NativeFigure[];
  /** Under the notifier thread (null when no invalidation configuration ran, or no round succeeded). */
  readonly underNotifier: NativeNotifierFigures | null;
}

/** The C compiler on `pathEnv` (cc, else gcc, else clang), or null. */
export function findCompiler(pathEnv: string | undefined = process.env.PATH): string | null {
  for (const name of ['cc', 'gcc', 'clang']) {
    for (const dir of (pathEnv ?? '').split(delimiter)) {
      if (dir === '') continue;
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** bench/native/vmentry-checks.c, looked for above this module (src/bench/ in tests, dist/ when built). */
export function findNativeSource(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = join(dir, NATIVE_SOURCE_PATH);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}

/** The native variants timed under the notifier: the locked check over the counts measured, with and without the entry path. */
export function nativeNotifierVariantNames(strategies: readonly StrategyName[], lockedCounts: readonly number[]): string[] {
  if (!strategies.includes('locked')) return [];
  const locked = lockedCounts.filter((n) => [1, 2, 3, 8].includes(n));
  return ['raw: add+sub', ...locked.map((n) => `check: locked x${n}`), 'vmentry: empty', ...locked.map((n) => `vmentry: locked x${n}`)];
}

/** The native variants that match the model's selection (the floors come along in the program). */
export function nativeVariantNames(strategies: readonly StrategyName[], lockedCounts: readonly number[]): string[] {
  const locked = strategies.includes('locked') ? lockedCounts.filter((n) => [1, 2, 3, 8].includes(n)) : [];
  const checks = [...(strategies.includes('generation') ? ['generation'] : []), ...(strategies.includes('lockless') ? ['lockless'] : []), ...locked.map((n) => `locked x${n}`)];
  return [
    'floor: empty loop',
    'raw: relaxed load',
    'raw: 4 relaxed loads',
    'raw: acquire load',
    'raw: acquire load+compare',
    'raw: add+load+sub',
    'raw: add+sub',
    ...locked.filter((n) => n > 1).map((n) => `raw: add+sub x${n}`),
    ...checks.map((c) => `check: ${c}`),
    'vmentry: empty',
    ...checks.map((c) => `vmentry: ${c}`),
  ];
}

interface RawOutput {
  readonly batchSize: number;
  readonly notifier: { readonly rate: number; readonly events: number; readonly seconds: number };
  readonly variants: { readonly name: string; readonly floor: string | null; readonly operations: number; readonly refreshes: number; readonly samples: number[] }[];
}

/** The rounds of one kind (idle, or under the notifier), pooled. */
class Pool {
  rounds = 0;
  events = 0;
  seconds = 0;
  readonly byName = new Map<string, { floor: string | null; samples: number[]; operations: number; refreshes: number }>();

  add(out: RawOutput): void {
    for (const v of out.variants) {
      const entry = this.byName.get(v.name) ?? { floor: v.floor, samples: [], operations: 0, refreshes: 0 };
      entry.samples.push(...v.samples);
      entry.operations += v.operations;
      entry.refreshes += v.refreshes;
      this.byName.set(v.name, entry);
    }
    this.events += out.notifier.events;
    this.seconds += out.notifier.seconds;
    this.rounds++;
  }

  figures(batchSize: number): NativeFigure[] {
    if (this.rounds === 0) return [];
    const names = [...this.byName.keys()];
    const variants: BatchVariant[] = names.map((name) => {
      const floor = this.byName.get(name)!.floor;
      return floor === null || !this.byName.has(floor) ? { name, run: noBatch } : { name, floor, run: noBatch };
    });
    const stats = summarizeVariants(variants, names.map((n) => Float64Array.from(this.byName.get(n)!.samples)), batchSize);
    return stats.map((st) => {
      const entry = this.byName.get(st.name)!;
      return { ...st, model: modelCounterpart(st.name), refreshesPer1k: entry.operations > 0 ? (entry.refreshes * 1000) / entry.operations : 0 };
    });
  }
}

function parseOutput(stdout: string): RawOutput | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return `its output is not JSON: '${stdout.slice(0, 80)}'`;
  }
  const out = parsed as RawOutput;
  if (!Array.isArray(out?.variants) || out.variants.some((v) => typeof v.name !== 'string' || !Array.isArray(v.samples) || typeof v.refreshes !== 'number' || typeof v.operations !== 'number')) {
    return 'its output has no variants';
  }
  if (typeof out.notifier?.events !== 'number' || typeof out.notifier.seconds !== 'number') return 'its output has no notifier figures';
  if (out.variants.some((v) => v.samples.some((s) => !(typeof s === 'number' && s >= 0 && Number.isFinite(s))))) {
    return 'its output has a sample that is not a non-negative number of ns';
  }
  return out;
}

export interface NativeBenchOptions {
  /** PATH to look for cc on (default process.env.PATH). */
  readonly pathEnv?: string;
  /** The C source (default: findNativeSource()). */
  readonly source?: string;
  /** Where compiled programs are kept, by source hash (default: the OS temp dir). */
  readonly cacheDir?: string;
}

/**
 * The native program for one bench run: `prepare` compiles (or finds the cached binary), each
 * `runRound` runs one interleaved sample set, `report` pools the rounds.
 */
export class NativeBench {
  private binary: string | null = null;
  private compileCommand: string | null = null;
  private why = '';
  private readonly idle = new Pool();
  private readonly loaded = new Pool();
  private notifierRate = 0;

  constructor(
    private readonly plan: NativePlan,
    private readonly variantNames: readonly string[],
    private readonly notifierVariantNames: readonly string[],
    private readonly interleaving: string,
  ) {}

  /** True once compiled, until a round fails. */
  get ready(): boolean {
    return this.binary !== null;
  }

  /** Why native figures were skipped or stopped short ('' if they were not). */
  get note(): string {
    return this.why;
  }

  /** Finds cc and compiles; false (with the note set) if native figures cannot be had. */
  prepare(options: NativeBenchOptions = {}): boolean {
    const cc = findCompiler(options.pathEnv);
    if (cc === null) {
      this.why = `native figures skipped: no C compiler (cc, gcc or clang) on PATH`;
      return false;
    }
    const source = options.source ?? findNativeSource();
    if (source === null || !existsSync(source)) {
      this.why = `native figures skipped: ${NATIVE_SOURCE_PATH} not found`;
      return false;
    }
    const text = readFileSync(source);
    const hash = createHash('sha256').update(text).update(cc).update(NATIVE_CFLAGS.join(' ')).digest('hex').slice(0, 16);
    const dir = join(options.cacheDir ?? tmpdir(), `gpc-lab-native-${hash}`);
    const binary = join(dir, 'vmentry-checks');
    this.compileCommand = `${cc} ${NATIVE_CFLAGS.join(' ')} -o ${binary} ${source}`;
    if (!existsSync(binary)) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (error) {
        this.why = `native figures skipped: cannot create ${dir}: ${(error as Error).message}`;
        return false;
      }
      // Compile under a private name, then rename: concurrent bench runs never see half a binary.
      const partial = `${binary}.${process.pid}.tmp`;
      const built = spawnSync(cc, [...NATIVE_CFLAGS, '-o', partial, source], { encoding: 'utf8', timeout: COMPILE_TIMEOUT_MS });
      if (built.error || built.status !== 0) {
        const lines = built.stderr.trim().split('\n');
        const why = built.error ? built.error.message : (lines.find((l) => /error/.test(l)) ?? lines[0] ?? `exit ${built.status}`);
        this.why = `native figures skipped: compiling ${source} with ${cc} failed: ${why}`;
        return false;
      }
      renameSync(partial, binary);
    }
    this.binary = binary;
    return true;
  }

  /**
   * One native sample set (all variants, interleaved), idle or with the notifier thread at
   * `notifierRate` per second (a no-op when there are no notifier variants); false (note set) if it failed.
   */
  runRound(notifierRate = 0): boolean {
    if (this.binary === null) return false;
    if (notifierRate > 0 && this.notifierVariantNames.length === 0) return true;
    const loaded = notifierRate > 0;
    const samples = loaded ? this.plan.notifierSamplesPerRound : this.plan.samplesPerRound;
    const names = loaded ? this.notifierVariantNames : this.variantNames;
    const args = ['--batch', String(this.plan.batchSize), '--samples', String(samples), '--warmup', String(this.plan.warmupPerRound), '--notifier-rate', String(notifierRate), ...names];
    const rounds = this.idle.rounds + this.loaded.rounds;
    const run = spawnSync(this.binary, args, { encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    const failed = (why: string): boolean => {
      this.why = `native round ${rounds + 1} failed (${why}); ${rounds > 0 ? `figures from ${rounds} rounds` : 'no native figures'}`;
      this.binary = null;
      return false;
    };
    if (run.error) return failed(run.error.message);
    if (run.status !== 0) return failed(`exit ${run.status ?? run.signal}: ${run.stderr.trim().split('\n')[0] ?? ''}`);
    const out = parseOutput(run.stdout);
    if (typeof out === 'string') return failed(out);
    if (loaded) {
      this.notifierRate = notifierRate;
      this.loaded.add(out);
    } else {
      this.idle.add(out);
    }
    return true;
  }

  report(): NativeReport {
    const rounds = this.idle.rounds + this.loaded.rounds;
    const measured = rounds > 0;
    const l = this.loaded;
    return {
      status: measured ? 'measured' : 'skipped',
      note: this.why,
      compile: this.compileCommand,
      rounds,
      plan: measured ? this.plan : null,
      interleaving: this.interleaving,
      figures: this.idle.figures(this.plan.batchSize),
      underNotifier:
        l.rounds === 0
          ? null
          : { ratePerS: this.notifierRate, perSecond: l.seconds > 0 ? l.events / l.seconds : 0, events: l.events, rounds: l.rounds, figures: l.figures(this.plan.batchSize) },
    };
  }
}

function noBatch(n: number): number {
  return n;
}

/** The report when native figures were not asked for. */
export function nativeNotRun(note: string): NativeReport {
  return { status: 'skipped', note, compile: null, rounds: 0, plan: null, interleaving: '', figures: [], underNotifier: null };
}
