/**
 * Thread role `hva-race`: one of the two threads of docs/UPSTREAM-SPEC.md S1's focused reproduction
 * (src/stress/threads/hva-race-loop.ts; driven by test/kvm/hva-seq-miss.test.ts): the refresher
 * (role 0) or the invalidator (role 1) over a VM built by the test. Runs until the test sets the
 * stop word; the test terminates it at its deadline if it does not.
 */
import { workerData } from 'node:worker_threads';
import { openModelContext, type VmBuffers } from '../src/kvm/model-context.js';
import { RACE_ROLE_REFRESHER, runHvaRaceInvalidator, runHvaRaceRefresher } from '../src/stress/threads/hva-race-loop.js';

interface HvaRaceData {
  readonly buffers: VmBuffers;
  /** The model thread index (its flight-recorder ring, SRCU line and stats line). */
  readonly thread: number;
  readonly role: number;
  readonly control: SharedArrayBuffer;
  /** The invalidator's largest busy gap between two invalidations (µs). */
  readonly maxGapUs: number;
}

const data = workerData as HvaRaceData;
const ctx = openModelContext(data.buffers, data.thread);
const control = new Int32Array(data.control);
if (data.role === RACE_ROLE_REFRESHER) runHvaRaceRefresher(ctx, control);
else runHvaRaceInvalidator(ctx, control, data.maxGapUs);
