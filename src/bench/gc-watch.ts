/**
 * Which garbage collections ran, and when, on this thread: a PerformanceObserver for 'gc' entries.
 *
 * GC entries are delivered asynchronously (V8's GC callback schedules a native immediate, which
 * queues the entry, which is dispatched in a later immediate), so a synchronous timed phase sees
 * none. Start the watch before the timed phase, then `await watch.collect()` after it: it yields to
 * the event loop until the entries have arrived and returns them as [start, end] pairs in
 * performance.now() milliseconds (the same clock as the batch windows of batch-timer.ts).
 */
import { PerformanceObserver, type PerformanceObserverEntryList } from 'node:perf_hooks';

/** Immediates to yield so that every GC of the timed phase has been dispatched (two hops + margin). */
const DELIVERY_HOPS = 4;

function nextImmediate(): Promise<void> {
  return new Promise(function resolveOnImmediate(resolve) {
    setImmediate(resolve);
  });
}

export class GcWatch {
  /** Flat [start0, end0, start1, end1, ...] of every GC seen so far (ms, performance.now clock). */
  private readonly windows: number[] = [];
  private readonly observer: PerformanceObserver;

  constructor() {
    const windows = this.windows;
    this.observer = new PerformanceObserver(function onGcEntries(list: PerformanceObserverEntryList) {
      for (const entry of list.getEntries()) windows.push(entry.startTime, entry.startTime + entry.duration);
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Yields to the event loop until pending GC entries are delivered; returns all seen so far. */
  async collect(): Promise<readonly number[]> {
    for (let i = 0; i < DELIVERY_HOPS; i++) await nextImmediate();
    for (const entry of this.observer.takeRecords()) this.windows.push(entry.startTime, entry.startTime + entry.duration);
    return this.windows;
  }

  stop(): void {
    this.observer.disconnect();
  }
}

/** True if [start, end] overlaps any GC window in `gc` (flat pairs). */
export function overlapsGc(gc: readonly number[], start: number, end: number): boolean {
  for (let i = 0; i + 1 < gc.length; i += 2) {
    if (gc[i]! <= end && gc[i + 1]! >= start) return true;
  }
  return false;
}
