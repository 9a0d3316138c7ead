/**
 * The summary of one thread's profile: total time, time per category (computing, blocked in
 * Atomics.wait, idle, GC, V8), and the top functions by self time with their source locations.
 */
import type { CpuProfile } from './cpuprofile.js';
import { selfTimesOf } from './self-time.js';
import type { SourceLocation, SourceLocator } from './source-locations.js';
import { TIME_CATEGORIES, categorizeFunction, type TimeCategory } from './time-categories.js';

/** How an anonymous function is shown (hot functions should have names: DESIGN 10). */
export const ANONYMOUS = '(anonymous)';

export interface FunctionSummary {
  readonly name: string;
  readonly category: TimeCategory;
  readonly selfMs: number;
  /** Of the thread's total time. */
  readonly selfPercent: number;
  readonly samples: number;
  readonly location: SourceLocation | null;
}

export interface ThreadSummary {
  readonly role: string;
  /** The process that wrote the profile (the job's, or a child's: its role then has a pid prefix). */
  readonly pid: number;
  readonly threadId: number;
  /** The profile file's name in the output folder. */
  readonly file: string;
  readonly samples: number;
  readonly totalMs: number;
  /** Milliseconds per category; they add up to totalMs. */
  readonly categoryMs: Readonly<Record<TimeCategory, number>>;
  /**
   * Self time of anonymous functions in gpc-lab's own code (not node: internals or node_modules),
   * which a profile cannot tell apart: hot functions should have names.
   */
  readonly anonymousMs: number;
  /** Largest self time first, at most the requested count. */
  readonly top: readonly FunctionSummary[];
}

export interface ThreadIdentity {
  readonly role: string;
  readonly pid: number;
  readonly threadId: number;
  readonly file: string;
}

export function summarizeThread(
  profile: CpuProfile,
  identity: ThreadIdentity,
  locator: SourceLocator,
  topCount: number,
): ThreadSummary {
  const selfTimes = selfTimesOf(profile);
  const totalMs = selfTimes.totalUs / 1000;
  const categoryMs = emptyCategoryTimes();
  let anonymousMs = 0;
  for (const fn of selfTimes.functions) {
    const name = fn.frame.functionName;
    categoryMs[categorizeFunction(name)] += fn.selfUs / 1000;
    if (name === '' && isOwnCode(fn.frame.url)) anonymousMs += fn.selfUs / 1000;
  }
  const top = selfTimes.functions.slice(0, topCount).map(function toFunctionSummary(fn): FunctionSummary {
    const name = fn.frame.functionName === '' ? ANONYMOUS : fn.frame.functionName;
    const selfMs = fn.selfUs / 1000;
    return {
      name,
      category: categorizeFunction(fn.frame.functionName),
      selfMs,
      selfPercent: totalMs > 0 ? (100 * selfMs) / totalMs : 0,
      samples: fn.samples,
      location: locator.locate(fn.frame),
    };
  });
  return { ...identity, samples: selfTimes.samples, totalMs, categoryMs, anonymousMs, top };
}

function emptyCategoryTimes(): Record<TimeCategory, number> {
  const times = {} as Record<TimeCategory, number>;
  for (const category of TIME_CATEGORIES) times[category] = 0;
  return times;
}

/** A script of the project itself: a file outside node_modules. */
function isOwnCode(url: string): boolean {
  return url.startsWith('file:') && !url.includes('/node_modules/');
}
