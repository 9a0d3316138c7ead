/** Thread role `evtchn`: userspace EVTCHN_SEND through the shared_info cache (src/stress/threads/evtchn-loop.ts). */
import { defineThreadTask, type ThreadContext } from '../src/harness/thread-task.js';
import { runEvtchnLoop } from '../src/stress/threads/evtchn-loop.js';
import { modelThreadResult, runModelLoop, startModelThread, type ModelThreadData, type ModelThreadResult } from '../src/stress/model-thread.js';

export default defineThreadTask(async function runEvtchnThread(data: ModelThreadData, thread: ThreadContext): Promise<ModelThreadResult> {
  const ctx = await startModelThread(data, thread);
  const lockdepError = ctx ? runModelLoop(function runEvtchnIterations(): void {
    runEvtchnLoop(ctx, thread.control, thread.slotBase, data.rate);
  }) : undefined;
  return modelThreadResult(ctx, thread, lockdepError);
});
