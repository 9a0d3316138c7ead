/** Thread role `juggler`: deactivates, re-activates and re-points shared_info (src/stress/threads/juggler-loop.ts). */
import { defineThreadTask, type ThreadContext } from '../src/harness/thread-task.js';
import { runJugglerLoop } from '../src/stress/threads/juggler-loop.js';
import { modelThreadResult, runModelLoop, startModelThread, type ModelThreadData, type ModelThreadResult } from '../src/stress/model-thread.js';

export default defineThreadTask(async function runJugglerThread(data: ModelThreadData, thread: ThreadContext): Promise<ModelThreadResult> {
  const ctx = await startModelThread(data, thread);
  const lockdepError = ctx ? runModelLoop(function runJugglerIterations(): void {
    runJugglerLoop(ctx, thread.control, thread.slotBase, data.rate);
  }) : undefined;
  return modelThreadResult(ctx, thread, lockdepError);
});
