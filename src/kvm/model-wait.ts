/**
 * Where protocol code says it is waiting, for stall reports, without knowing who records it: the
 * thread wiring (src/stress/model-thread.ts) installs a sink on the thread's context that writes the
 * thread's run-control state; elsewhere (main thread, benches) the sink does nothing. Slow paths only.
 */

/** The notifier waits for vCPU `arg` to leave guest mode (an eviction with WAIT). */
export const MODEL_WAIT_EVICTION = 0;
/** A refresh of cache `arg` sleeps on gpc_invalidate_wq (dwmw2-range-2024's gpc_wait_for_invalidations). Kind 1 is the paced threads' own (THREAD_STATE_PACING). */
export const MODEL_WAIT_GPC_INVALIDATIONS = 2;

export interface ModelWaitSink {
  /** The thread starts waiting (`kind`: MODEL_WAIT_*; `arg`: what for). */
  begin(kind: number, arg: number): void;
  /** The wait is over: the thread runs again. */
  end(): void;
}

function noWaitBegin(_kind: number, _arg: number): void {}
function noWaitEnd(): void {}

export const NO_WAIT_SINK: ModelWaitSink = { begin: noWaitBegin, end: noWaitEnd };
