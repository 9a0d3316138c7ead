/** The model's own thread states (run-control STATE slot), for stall reports. */
import { ThreadState } from '../../harness/run-control.js';
import { MODEL_WAIT_EVICTION, MODEL_WAIT_GPC_INVALIDATIONS } from '../../kvm/model-wait.js';

/** The notifier waits for vCPU STATE_ARG to leave guest mode (an eviction with WAIT). */
export const THREAD_STATE_EVICTION_WAIT = ThreadState.FIRST_CUSTOM + MODEL_WAIT_EVICTION;
/** Pacing: the thread sleeps until its next operation is due. */
export const THREAD_STATE_PACING = ThreadState.FIRST_CUSTOM + 1;
/** A refresh of cache STATE_ARG waits for invalidations of its uhva (dwmw2-range-2024). */
export const THREAD_STATE_GPC_INVALIDATIONS_WAIT = ThreadState.FIRST_CUSTOM + MODEL_WAIT_GPC_INVALIDATIONS;

/** A model wait kind (src/kvm/model-wait.ts) as a run-control thread state. */
export function modelWaitThreadState(kind: number): number {
  return ThreadState.FIRST_CUSTOM + kind;
}

export const MODEL_THREAD_STATE_NAMES: Readonly<Record<number, string>> = {
  [THREAD_STATE_EVICTION_WAIT]: 'waiting for a vCPU to leave guest mode (eviction WAIT)',
  [THREAD_STATE_PACING]: 'pacing (sleeping until the next operation)',
  [THREAD_STATE_GPC_INVALIDATIONS_WAIT]: 'a refresh waits for invalidations of its uhva (gpc_wait_for_invalidations)',
};
