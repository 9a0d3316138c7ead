/**
 * Which profile functions count as *waiting* rather than computing.
 *
 * V8's sampler cannot see that a thread is blocked: a thread asleep in `Atomics.wait` is sampled
 * as self time of the JS function that called it (concurrency-anchors 4.2). So gpc-lab keeps every
 * `Atomics.wait` in named functions and this file names them; their self time is reported as
 * `wait`. The locks' only futex sleep is `parkOnWord` in src/sync/spin-wait.ts; piscina's idle
 * worker sleeps in `atomicsWaitLoop`; pooled threads meet at `awaitStartBarrier`. A new function that calls `Atomics.wait` must match one of
 * these rules (name it `park...` or `futexWait...`), or add its name here.
 *
 * The self time of a `wait` function includes whatever it does around the wait (a stats counter,
 * a spin before sleeping), so name only the function that sleeps, and keep it small.
 */

/** The time categories of a thread's profile. */
export type TimeCategory = 'compute' | 'wait' | 'idle' | 'gc' | 'program';

/** Every category, in the order reports list them. */
export const TIME_CATEGORIES: readonly TimeCategory[] = ['compute', 'wait', 'idle', 'gc', 'program'];

/** Functions whose self time is time blocked in `Atomics.wait` (a futex sleep). */
export const WAIT_FUNCTIONS = {
  /** Any function whose name starts with one of these. */
  prefixes: ['park', 'futexWait'] as readonly string[],
  /**
   * And these exact names: piscina's idle loop; the harness's start barrier (its Atomics.wait is
   * inline; nearly all its time is the wait for the other threads to start); the model's pacing
   * sleeps (src/kvm/pacing.ts: `sleepMs` between paced operations, `condResched` in retry loops);
   * and the eviction's wait for a vCPU to leave guest mode (src/kvm/vcpu-kick.ts).
   */
  names: ['atomicsWaitLoop', 'awaitStartBarrier', 'sleepMs', 'condResched', 'waitForSessionEnd'] as readonly string[],
} as const;

/** The wait rules for people: "park*, futexWait*, atomicsWaitLoop, ...". */
export function describeWaitFunctions(): string {
  return [...WAIT_FUNCTIONS.prefixes.map((prefix) => `${prefix}*`), ...WAIT_FUNCTIONS.names].join(', ');
}

/** V8's pseudo-functions, each its own category. */
export const V8_PSEUDO_FUNCTIONS: Readonly<Record<string, TimeCategory>> = {
  '(idle)': 'idle', // the event loop waiting for I/O or timers (libuv)
  '(garbage collector)': 'gc',
  '(program)': 'program', // V8 and native code outside any JS function
  '(root)': 'program',
};

/** The category of a profile function, from its name alone. */
export function categorizeFunction(functionName: string): TimeCategory {
  // Own keys only: a JS function named like an Object.prototype member ('constructor', 'toString')
  // must not pick up that member (it became a bogus category whose time the totals lost).
  if (Object.hasOwn(V8_PSEUDO_FUNCTIONS, functionName)) return V8_PSEUDO_FUNCTIONS[functionName]!;
  if (WAIT_FUNCTIONS.names.includes(functionName)) return 'wait';
  for (const prefix of WAIT_FUNCTIONS.prefixes) {
    if (functionName.startsWith(prefix)) return 'wait';
  }
  return 'compute';
}
