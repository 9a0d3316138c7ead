/**
 * The schedule file (issue 10): what a random/pct run did, small enough to attach to a mail and
 * exact enough to replay. JSON:
 *
 *   format, formatVersion      'gpc-lab-schedule', 1
 *   tool                       name and version that recorded it
 *   modelHash                  the built model's code hash (src/util/package-info.ts): a replay
 *                              by other code is refused (exit 2), as is another format version
 *   config                     the stress options that resolve to the recorded configuration
 *                              (protocol, strategy, workload, bug and fix switches, rates, seed)
 *   threads                    participant index -> name (thread roles)
 *   scheduler                  kind, seed, PCT depth and change points, step budget
 *   stop                       the step the scheduler stopped the run at, and why
 *   decisions                  who ran at each decision, run-length encoded [participant, count]
 *   traceHash                  the hash of (participant, point) over every step
 *   finding                    the first finding's signature (property, thread, the racing steps), or null
 *
 * Cold path (file I/O, JSON).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { UsageError } from '../util/usage-error.js';
import { builtCodeHash, packageVersion } from '../util/package-info.js';
import type { StressOptions } from '../stress/stress-config.js';
import type { StressFinding } from '../stress/stress-report.js';
import { racingSteps } from '../stress/racing-steps.js';
import { SCHEDULE_NAMES, type ScheduleName } from './schedule-kinds.js';

export const SCHEDULE_FORMAT = 'gpc-lab-schedule';
export const SCHEDULE_FORMAT_VERSION = 1;

/** What identifies a finding across replays: its property, its thread and the two racing steps. */
export interface FindingSignature {
  readonly property: string;
  readonly thread: string;
  /** "thread step" of the other racing step, then of the finder's own (either may be absent). */
  readonly racing: readonly string[];
  /** One line: property, then the racing steps. */
  readonly text: string;
}

export interface ScheduleFile {
  readonly format: typeof SCHEDULE_FORMAT;
  readonly formatVersion: number;
  readonly tool: { readonly name: 'gpc-lab'; readonly version: string };
  readonly modelHash: string;
  readonly createdAt: string;
  readonly config: StressOptions;
  readonly threads: readonly { readonly index: number; readonly name: string }[];
  readonly scheduler: { readonly kind: ScheduleName; readonly seed: number; readonly pctDepth: number; readonly pctEpoch?: number; readonly changePoints: readonly number[]; readonly steps: number };
  readonly stop: { readonly step: number; readonly reason: number; readonly reasonName: string };
  readonly decisions: { readonly count: number; readonly runs: readonly (readonly [number, number])[] };
  readonly traceHash: string;
  readonly finding: FindingSignature | null;
  /** Set by --shrink: the file it was shrunk from and the decisions before. */
  readonly shrunkFrom?: { readonly file: string; readonly decisions: number; readonly contextSwitches: number };
}

export function findingSignature(f: Pick<StressFinding, 'property' | 'thread' | 'interleaving' | 'message'>): FindingSignature {
  const { other, own } = racingSteps(f);
  const racing = [other, own].filter((e) => e !== undefined).map((e) => `${e.thread} ${e.step}`);
  return { property: f.property, thread: f.thread, racing, text: `${f.property} (${f.thread})${racing.length > 0 ? `: ${racing.join(' -> ')}` : ''}` };
}

export function sameSignature(a: FindingSignature, b: FindingSignature): boolean {
  return a.property === b.property && a.thread === b.thread && a.racing.join('\n') === b.racing.join('\n');
}

/** Run-length encoding of the decision log: [participant, how many in a row]. */
export function encodeDecisions(decisions: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < decisions.length; ) {
    const who = decisions[i]!;
    let j = i + 1;
    while (j < decisions.length && decisions[j] === who) j++;
    runs.push([who, j - i]);
    i = j;
  }
  return runs;
}

export function decodeDecisions(runs: readonly (readonly [number, number])[], count: number): Uint8Array {
  const out = new Uint8Array(count);
  let at = 0;
  for (const [who, n] of runs) {
    if (at + n > count) throw new UsageError(`schedule file: its decisions hold more than the ${count} it declares`);
    out.fill(who, at, at + n);
    at += n;
  }
  if (at !== count) throw new UsageError(`schedule file: its decisions hold ${at}, not the ${count} it declares`);
  return out;
}

/** Context switches in a decision log (a decision for another participant than the previous one). */
export function contextSwitches(decisions: Uint8Array): number {
  let switches = 0;
  for (let i = 1; i < decisions.length; i++) if (decisions[i] !== decisions[i - 1]) switches++;
  return switches;
}

export function writeScheduleFile(path: string, file: ScheduleFile): void {
  writeFileSync(path, `${JSON.stringify(file)}\n`);
}

function fail(path: string, why: string): never {
  throw new UsageError(`${path} is not a usable schedule file: ${why}`);
}

/**
 * Reads and checks a schedule file: the format and its version, the tool version and the model
 * hash must be this installation's (a replay by other code would not follow the same steps).
 * Every problem is a UsageError naming the file and what is wrong (exit 2).
 */
export function readScheduleFile(path: string): { file: ScheduleFile; decisions: Uint8Array } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read schedule file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail(path, 'it is not JSON');
  }
  const f = raw as Partial<ScheduleFile>;
  if (typeof f !== 'object' || f === null || f.format !== SCHEDULE_FORMAT) fail(path, `its format is not '${SCHEDULE_FORMAT}'`);
  if (f.formatVersion !== SCHEDULE_FORMAT_VERSION) fail(path, `format version ${String(f.formatVersion)}, this tool reads version ${SCHEDULE_FORMAT_VERSION}`);
  if (f.tool?.version !== packageVersion()) fail(path, `recorded by gpc-lab ${String(f.tool?.version)}, this is gpc-lab ${packageVersion()}`);
  if (f.modelHash !== builtCodeHash()) fail(path, `recorded with model code ${String(f.modelHash)}, this build's is ${builtCodeHash()} (replay it with the build that recorded it)`);
  if (!f.scheduler || !(SCHEDULE_NAMES as readonly string[]).includes(f.scheduler.kind) || (f.scheduler.kind !== 'random' && f.scheduler.kind !== 'pct')) fail(path, 'its scheduler is not random or pct');
  if (!f.config || typeof f.config !== 'object') fail(path, 'it has no configuration');
  if (!f.decisions || !Number.isInteger(f.decisions.count) || !Array.isArray(f.decisions.runs)) fail(path, 'it has no decisions');
  if (!f.stop || !Number.isInteger(f.stop.step)) fail(path, 'it has no stop step');
  for (const run of f.decisions.runs) {
    if (!Array.isArray(run) || run.length !== 2 || !Number.isInteger(run[0]) || run[0] < 0 || run[0] > 254 || !Number.isInteger(run[1]) || run[1] < 1) fail(path, `a decision run is not [participant, count]: ${JSON.stringify(run)}`);
  }
  return { file: f as ScheduleFile, decisions: decodeDecisions(f.decisions.runs, f.decisions.count) };
}

/** The stamp every schedule file starts with. */
export function scheduleFileStamp(): Pick<ScheduleFile, 'format' | 'formatVersion' | 'tool' | 'modelHash' | 'createdAt'> {
  return { format: SCHEDULE_FORMAT, formatVersion: SCHEDULE_FORMAT_VERSION, tool: { name: 'gpc-lab', version: packageVersion() }, modelHash: builtCodeHash(), createdAt: new Date().toISOString() };
}
