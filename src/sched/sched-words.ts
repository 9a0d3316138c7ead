/**
 * The shared words a participant can block on under a controlled schedule, named by (tag, index)
 * so that any turn holder can tell whether a blocked participant may run again (its word changed:
 * futex semantics without a notify). Tags are positions in one fixed list of the VM's buffers, the
 * same in every thread (each thread builds its list from the same VmBuffers, in the same order).
 * Cold path: built once per thread; `wordTag` runs only when a participant blocks.
 */
import type { VmBuffers } from '../kvm/model-context.js';

export interface SchedWords {
  /** Whole-buffer views, by tag. */
  readonly views: readonly Int32Array[];
}

/** The VM buffers whose words the model waits on (locks, vCPU modes, wake words), in tag order. */
const BUFFER_ORDER: readonly (keyof VmBuffers)[] = ['vm', 'hostMm', 'memslots', 'gpcs', 'vcpus', 'registers', 'findings', 'trace', 'stats', 'retired'];

export function schedWords(buffers: VmBuffers): SchedWords {
  return { views: BUFFER_ORDER.map((key) => new Int32Array(buffers[key])) };
}

/** The VmBuffers name of tag `tag` (reports: "vm[123]"). */
export function wordBufferName(tag: number): string {
  return BUFFER_ORDER[tag] ?? `buffer ${tag}`;
}

/** Tag of the buffer `mem` views; throws (a tool error: a wait on a buffer the scheduler does not know) otherwise. */
export function wordTag(words: SchedWords, mem: Int32Array): number {
  for (let t = 0; t < words.views.length; t++) if (words.views[t]!.buffer === mem.buffer) return t;
  throw new Error(`controlled schedule: a wait on a shared buffer the scheduler does not know (${mem.buffer.byteLength} bytes); add it to BUFFER_ORDER in src/sched/sched-words.ts`);
}

/** Index of mem[index] in its whole-buffer view. */
export function wordIndex(mem: Int32Array, index: number): number {
  return (mem.byteOffset >> 2) + index;
}
