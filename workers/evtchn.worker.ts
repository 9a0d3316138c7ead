/** Thread role `evtchn`: userspace EVTCHN_SEND through the shared_info cache (src/kvm/evtchn-loop.ts). */
import { defineThreadTask, type ThreadContext } from '../src/harness/thread-task.js';
import { runEvtchnLoop } from '../src/kvm/evtchn-loop.js';
import { modelThreadResult, startModelThread, type ModelThreadData, type ModelThreadResult } from '../src/stress/model-thread.js';

export default defineThreadTask(function runEvtchnThread(data: ModelThreadData, thread: ThreadContext): ModelThreadResult {
  const ctx = startModelThread(data, thread);
  if (ctx) runEvtchnLoop(ctx, thread.control, thread.slotBase, data.rate);
  return modelThreadResult(ctx);
});
