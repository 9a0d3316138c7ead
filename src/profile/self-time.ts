/**
 * Self time per function of one thread's profile: the time of the ticks whose top frame is that
 * function, summed over every call path it appears in (as DevTools' "Bottom-Up" view does).
 */
import type { CallFrame, CpuProfile } from './cpuprofile.js';

export interface FunctionSelfTime {
  readonly frame: CallFrame;
  /** Microseconds. */
  readonly selfUs: number;
  readonly samples: number;
}

export interface SelfTimes {
  /** Microseconds covered by the samples: the sum of every function's self time. */
  readonly totalUs: number;
  readonly samples: number;
  /** Largest self time first. */
  readonly functions: readonly FunctionSelfTime[];
}

interface Accumulator {
  frame: CallFrame;
  selfUs: number;
  samples: number;
}

/**
 * A tick lasts until the next one (the last one until endTime), as speedscope and DevTools count
 * it. Negative gaps (clock adjustments) count as zero.
 */
export function selfTimesOf(profile: CpuProfile): SelfTimes {
  const frameOfNode = new Map<number, CallFrame>();
  for (const node of profile.nodes) frameOfNode.set(node.id, node.callFrame);

  const byFunction = new Map<string, Accumulator>();
  const { samples, timeDeltas } = profile;
  let tickTime = profile.startTime;
  let totalUs = 0;
  for (let i = 0; i < samples.length; i++) {
    tickTime += timeDeltas[i]!;
    const nextTime = i + 1 < samples.length ? tickTime + timeDeltas[i + 1]! : profile.endTime;
    const duration = Math.max(0, nextTime - tickTime);
    const frame = frameOfNode.get(samples[i]!)!;
    const key = functionKey(frame);
    let entry = byFunction.get(key);
    if (entry === undefined) {
      entry = { frame, selfUs: 0, samples: 0 };
      byFunction.set(key, entry);
    }
    entry.selfUs += duration;
    totalUs += duration;
    entry.samples += 1;
  }
  const functions = [...byFunction.values()].sort(function bySelfTimeDescending(a, b) {
    return b.selfUs - a.selfUs || b.samples - a.samples;
  });
  return { totalUs, samples: samples.length, functions };
}

/** One function = one (name, script, position): a name defined twice is two functions. */
function functionKey(frame: CallFrame): string {
  return `${frame.functionName}\u0000${frame.url}\u0000${frame.lineNumber}\u0000${frame.columnNumber}`;
}
