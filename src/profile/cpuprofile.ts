/**
 * The `.cpuprofile` format V8 writes for `--cpu-prof` (the DevTools protocol's
 * `Profiler.Profile`), which Chrome DevTools and speedscope read: a call tree of nodes, plus the
 * sampled node of every tick and the time since the previous tick.
 */

/** Where a function is: V8's script URL and 0-based line and column of the function. */
export interface CallFrame {
  readonly functionName: string;
  readonly scriptId: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

export interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds (monotonic clock). */
  readonly startTime: number;
  readonly endTime: number;
  /** Node id sampled at each tick. */
  readonly samples: readonly number[];
  /** Microseconds since the previous tick (the first: since startTime). */
  readonly timeDeltas: readonly number[];
}

/** Thrown when a file is not a well-formed `.cpuprofile`. */
export class InvalidProfileError extends Error {
  override readonly name = 'InvalidProfileError';
}

/**
 * Parses and checks a `.cpuprofile`: every field DevTools and speedscope need is there, every
 * sample and child names a node, and there is one time delta per sample.
 */
export function parseCpuProfile(text: string, source: string): CpuProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidProfileError(`${source}: not JSON (${(error as Error).message})`);
  }
  const profile = value as Partial<CpuProfile> | null;
  if (typeof profile !== 'object' || profile === null) throw new InvalidProfileError(`${source}: not an object`);
  const { nodes, samples, timeDeltas, startTime, endTime } = profile;
  if (!Array.isArray(nodes) || nodes.length === 0) throw new InvalidProfileError(`${source}: no nodes`);
  if (!Array.isArray(samples) || !Array.isArray(timeDeltas)) {
    throw new InvalidProfileError(`${source}: samples or timeDeltas missing`);
  }
  if (samples.length !== timeDeltas.length) {
    throw new InvalidProfileError(`${source}: ${samples.length} samples but ${timeDeltas.length} time deltas`);
  }
  if (typeof startTime !== 'number' || typeof endTime !== 'number' || endTime < startTime) {
    throw new InvalidProfileError(`${source}: bad startTime/endTime`);
  }
  const ids = new Set<number>();
  for (const node of nodes) checkNode(node, ids, source);
  for (const node of nodes) {
    for (const child of node.children ?? []) {
      if (!ids.has(child)) throw new InvalidProfileError(`${source}: node ${node.id} has unknown child ${child}`);
    }
  }
  for (const id of samples) {
    if (!ids.has(id)) throw new InvalidProfileError(`${source}: sample of unknown node ${id}`);
  }
  return profile as CpuProfile;
}

function checkNode(node: ProfileNode, ids: Set<number>, source: string): void {
  const frame = node?.callFrame;
  if (
    typeof node?.id !== 'number' ||
    typeof frame?.functionName !== 'string' ||
    typeof frame.url !== 'string' ||
    typeof frame.lineNumber !== 'number' ||
    typeof frame.columnNumber !== 'number'
  ) {
    throw new InvalidProfileError(`${source}: malformed node ${JSON.stringify(node)?.slice(0, 120)}`);
  }
  if (ids.has(node.id)) throw new InvalidProfileError(`${source}: duplicate node id ${node.id}`);
  ids.add(node.id);
}
