/**
 * Thread role `torture`: one reader, irq-reader or writer of `gpc-lab torture`
 * (src/torture/torture-thread.ts has the loop).
 */
import { defineThreadTask } from '../src/harness/thread-task.js';
import { runTortureThread } from '../src/torture/torture-thread.js';

export default defineThreadTask(runTortureThread);
