/**
 * PCT restarted every K steps (`--pct-epoch K`, issue 10). Classic PCT (Burckhardt et al. 2010)
 * draws its d-1 change points over the whole schedule of k steps, so a depth-d bug is found with
 * probability >= 1/(n k^(d-1)): with k = 200,000 scheduling points a bug that needs two preemptions
 * a few steps apart is out of reach. An epoch is a fresh PCT schedule of K steps that starts from
 * the state the run has reached: new distinct random priorities d .. d+n-1 for the n participants not done, the yielders' and
 * change points' floor (SC_LOW_PRIORITY) back to 0, and d-1 new change points in the epoch's K
 * steps. A bug whose d ordering constraints fall within one epoch gets the bound with K for k,
 * once per epoch; one that spans epochs gets no bound.
 *
 * Runs at the step that ends an epoch, by the turn holder (takeStep); draws from the scheduler's
 * shared random state (SC_RNG), so a recording and its replay agree. Allocation-free.
 */
import { nextRandom } from './sched-chooser.js';
import { MAX_PARTICIPANTS, PS_DONE, P_PRIORITY, P_STATE, SC_DEPTH, SC_EPOCH, SC_EPOCH_START, SC_LOW_PRIORITY, changePointSlot, participantBase, type SchedView } from './sched-layout.js';

/** Scratch of the turn holder's thread: the participants in priority order. */
const order = new Int32Array(MAX_PARTICIPANTS);

/** Starts a new epoch at `step` if the current one (SC_EPOCH steps long) is over. */
export function maybeStartPctEpoch(sv: SchedView, step: number): void {
  const mem = sv.mem;
  const epoch = Atomics.load(mem, SC_EPOCH);
  if (epoch <= 0 || step - Atomics.load(mem, SC_EPOCH_START) < epoch) return;
  Atomics.store(mem, SC_EPOCH_START, step);
  const depth = Atomics.load(mem, SC_DEPTH);
  // The participants still in the schedule (a done one needs no priority).
  let n = 0;
  for (let t = 0; t < sv.threads; t++) if (Atomics.load(mem, participantBase(t) + P_STATE) !== PS_DONE) order[n++] = t;
  for (let i = n - 1; i > 0; i--) {
    const j = nextRandom(mem) % (i + 1);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  for (let rank = 0; rank < n; rank++) Atomics.store(mem, participantBase(order[rank]!) + P_PRIORITY, depth + rank);
  Atomics.store(mem, SC_LOW_PRIORITY, 0);
  // Change points fire at the first step at or after them: step+1 .. step+epoch, all in this epoch.
  for (let i = 0; i < depth - 1; i++) Atomics.store(mem, changePointSlot(i), step + 1 + (nextRandom(mem) % epoch));
}
