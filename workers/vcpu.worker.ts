/** Thread role `vcpu`: one vCPU running vcpu_enter_guest in a loop (src/stress/threads/vcpu-loop.ts). */
import { defineThreadTask, type ThreadContext } from '../src/harness/thread-task.js';
import { runVcpuLoop } from '../src/stress/threads/vcpu-loop.js';
import { modelThreadResult, runModelLoop, startModelThread, type ModelThreadData, type ModelThreadResult } from '../src/stress/model-thread.js';

export default defineThreadTask(async function runVcpuThread(data: ModelThreadData, thread: ThreadContext): Promise<ModelThreadResult> {
  const ctx = await startModelThread(data, thread);
  const lockdepError = ctx ? runModelLoop(function runVcpuIterations(): void {
    runVcpuLoop(ctx, thread.control, thread.slotBase, data.thread, data.crashAfter);
  }) : undefined;
  return modelThreadResult(ctx, thread, lockdepError);
});
