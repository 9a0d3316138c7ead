/**
 * `Atomics.waitAsync` (Node 16+; not in the ES2022 lib typings), typed once: the main thread's
 * waits on shared words (the first-finding waiter, the main participant of a controlled schedule,
 * its own futex-style waits) go through it.
 */
export type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

export const atomicsWaitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t: number) => WaitAsyncResult }).waitAsync;
