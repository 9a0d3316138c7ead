/** Thread role `notifier`: the host mm firing MMU-notifier invalidations (src/stress/threads/notifier-loop.ts). */
import { defineThreadTask, type ThreadContext } from '../src/harness/thread-task.js';
import { runNotifierLoop } from '../src/stress/threads/notifier-loop.js';
import { modelThreadResult, runModelLoop, startModelThread, type ModelThreadData, type ModelThreadResult } from '../src/stress/model-thread.js';

export default defineThreadTask(async function runNotifierThread(data: ModelThreadData, thread: ThreadContext): Promise<ModelThreadResult> {
  const ctx = await startModelThread(data, thread);
  const lockdepError = ctx ? runModelLoop(function runNotifierIterations(): void {
    runNotifierLoop(ctx, thread.control, thread.slotBase, data.rate, data.inflight);
  }) : undefined;
  return modelThreadResult(ctx, thread, lockdepError);
});
