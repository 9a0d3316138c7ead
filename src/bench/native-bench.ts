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
export const NATIVE_CFLAGS: readonly string[] = ['-std=c11', '-O2'];
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
  /** Timed samples per variant and round (pooled over the rounds). */
  readonly samplesPerRound: number;
  readonly warmupPerRound: number;
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
  /** Native figures (ns/op), with their native floor; `model` names the model figure each is compared with. */
  readonly figures: (BatchStats & { readonly model: string })[];
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
  readonly variants: { readonly name: string; readonly floor: string | null; readonly samples: number[] }[];
}

function parseOutput(stdout: string): RawOutput | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return `its output is not JSON: '${stdout.slice(0, 80)}'`;
  }
  const out = parsed as RawOutput;
  if (!Array.isArray(out?.variants) || out.variants.some((v) => typeof v.name !== 'string' || !Array.isArray(v.samples))) {
    return 'its output has no variants';
  }
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
  private rounds = 0;
  private readonly pooled = new Map<string, { floor: string | null; samples: number[] }>();

  constructor(
    private readonly plan: NativePlan,
    private readonly variantNames: readonly string[],
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

  /** One native sample set (all variants, interleaved); false (note set) if it failed. */
  runRound(): boolean {
    if (this.binary === null) return false;
    const args = ['--batch', String(this.plan.batchSize), '--samples', String(this.plan.samplesPerRound), '--warmup', String(this.plan.warmupPerRound), ...this.variantNames];
    const run = spawnSync(this.binary, args, { encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    const failed = (why: string): boolean => {
      this.why = `native round ${this.rounds + 1} failed (${why}); ${this.rounds > 0 ? `figures from ${this.rounds} rounds` : 'no native figures'}`;
      this.binary = null;
      return false;
    };
    if (run.error) return failed(run.error.message);
    if (run.status !== 0) return failed(`exit ${run.status ?? run.signal}: ${run.stderr.trim().split('\n')[0] ?? ''}`);
    const out = parseOutput(run.stdout);
    if (typeof out === 'string') return failed(out);
    for (const v of out.variants) {
      const entry = this.pooled.get(v.name) ?? { floor: v.floor, samples: [] };
      entry.samples.push(...v.samples);
      this.pooled.set(v.name, entry);
    }
    this.rounds++;
    return true;
  }

  report(): NativeReport {
    const measured = this.rounds > 0;
    const names = [...this.pooled.keys()];
    const variants: BatchVariant[] = names.map((name) => {
      const floor = this.pooled.get(name)!.floor;
      return floor === null || !this.pooled.has(floor) ? { name, run: noBatch } : { name, floor, run: noBatch };
    });
    const stats = measured ? summarizeVariants(variants, names.map((n) => Float64Array.from(this.pooled.get(n)!.samples)), this.plan.batchSize) : [];
    return {
      status: measured ? 'measured' : 'skipped',
      note: this.why,
      compile: this.compileCommand,
      rounds: this.rounds,
      plan: measured ? this.plan : null,
      interleaving: this.interleaving,
      figures: stats.map((s) => ({ ...s, model: modelCounterpart(s.name) })),
    };
  }
}

function noBatch(n: number): number {
  return n;
}

/** The report when native figures were not asked for. */
export function nativeNotRun(note: string): NativeReport {
  return { status: 'skipped', note, compile: null, rounds: 0, plan: null, interleaving: '', figures: [] };
}
