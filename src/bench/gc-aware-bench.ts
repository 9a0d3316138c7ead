/**
 * batch-timer's interleaved timing, with the samples that a garbage collection ran into dropped.
 *
 * Each round of timeInterleaved records every sample's [start, end] window; after the timed
 * phase the thread yields (GcWatch.collect) to receive the 'gc' performance entries and drops the
 * samples whose window overlaps a GC. If a variant is left with fewer than `samples` clean
 * samples, more rounds are timed (no warm-up, all variants, still interleaved), up to
 * MAX_EXTRA_CHUNKS times; if it is still short, its GC-overlapping samples are kept and the
 * variant is flagged (`gcFlagged`). `gcDropped` says how many samples each variant lost.
 *
 * Call it on a worker thread; it is async only to let the GC entries arrive.
 */
import { summarizeVariants, timeInterleaved, type BatchPlan, type BatchStats, type BatchVariant } from '../harness/batch-timer.js';
import { GcWatch, overlapsGc } from './gc-watch.js';

const MAX_EXTRA_CHUNKS = 2;

export interface GcAwareResult {
  readonly stats: BatchStats[];
  /** The kept samples (ns/op) of each variant, for pooling across threads. */
  readonly samples: Float64Array[];
  /** GC windows seen during the whole bench (count). */
  readonly gcEvents: number;
}

interface Chunk {
  readonly samples: Float64Array[];
  readonly windows: Float64Array[];
}

function timeChunk(variants: readonly BatchVariant[], plan: BatchPlan, samples: number, warmup: number): Chunk {
  const windows = variants.map(() => new Float64Array(2 * samples));
  const raw = timeInterleaved(variants, { batchSize: plan.batchSize, warmupSamples: warmup, samples }, windows);
  return { samples: raw, windows };
}

/** Times `variants` like runBatchBench, then drops (or flags) the samples a GC overlapped. */
export async function runGcAwareBench(variants: readonly BatchVariant[], plan: BatchPlan = {}): Promise<GcAwareResult> {
  const samples = plan.samples ?? 15;
  const warmup = plan.warmupSamples ?? 3;
  const batchSize = plan.batchSize ?? 100_000;
  const watch = new GcWatch();
  try {
    const chunks: Chunk[] = [timeChunk(variants, plan, samples, warmup)];
    let gc = await watch.collect();
    for (let extra = 0; extra < MAX_EXTRA_CHUNKS && shortestClean(chunks, gc, variants.length) < samples; extra++) {
      chunks.push(timeChunk(variants, plan, samples, 0));
      gc = await watch.collect();
    }
    const kept: Float64Array[] = [];
    const gcInfo: { dropped: number; flagged: boolean }[] = [];
    for (let v = 0; v < variants.length; v++) {
      const clean: number[] = [];
      const all: number[] = [];
      for (const chunk of chunks) {
        const w = chunk.windows[v]!;
        const s = chunk.samples[v]!;
        for (let i = 0; i < s.length; i++) {
          all.push(s[i]!);
          if (!overlapsGc(gc, w[2 * i]!, w[2 * i + 1]!)) clean.push(s[i]!);
        }
      }
      if (clean.length >= samples) {
        // The first `samples` clean ones: every variant gets the same count.
        kept.push(Float64Array.from(clean.slice(0, samples)));
        gcInfo.push({ dropped: all.length - clean.length, flagged: false });
      } else {
        kept.push(Float64Array.from(all.slice(0, samples)));
        gcInfo.push({ dropped: 0, flagged: clean.length < all.length });
      }
    }
    return { stats: summarizeVariants(variants, kept, batchSize, gcInfo), samples: kept, gcEvents: gc.length / 2 };
  } finally {
    watch.stop();
  }
}

function shortestClean(chunks: readonly Chunk[], gc: readonly number[], count: number): number {
  let shortest = Number.POSITIVE_INFINITY;
  for (let v = 0; v < count; v++) {
    let clean = 0;
    for (const chunk of chunks) {
      const w = chunk.windows[v]!;
      for (let i = 0; i < chunk.samples[v]!.length; i++) if (!overlapsGc(gc, w[2 * i]!, w[2 * i + 1]!)) clean++;
    }
    shortest = Math.min(shortest, clean);
  }
  return shortest;
}
