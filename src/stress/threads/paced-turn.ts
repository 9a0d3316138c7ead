/** The paced model threads' wait (notifier, evtchn, juggler): pacing state while sleeping, then running. */
import { ThreadState, setThreadState } from '../../harness/run-control.js';
import { PACING_SLICE_MS, type Pacer } from '../../kvm/pacing.js';
import { THREAD_STATE_PACING } from './thread-states.js';

/**
 * One paced loop's wait: sleeps until `pacer`'s next operation is due (at most PACING_SLICE_MS),
 * with the thread's state "pacing" meanwhile and "running" after. True if the operation is due;
 * false if the slice ran out first (the loop checks for a stop and waits again). Hot path.
 */
export function waitForPacedTurn(control: Int32Array, slotBase: number, pacer: Pacer): boolean {
  setThreadState(control, slotBase, THREAD_STATE_PACING, 0);
  const due = pacer.waitTurn(PACING_SLICE_MS);
  setThreadState(control, slotBase, ThreadState.RUNNING, 0);
  return due;
}
