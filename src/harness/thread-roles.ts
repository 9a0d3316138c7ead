/**
 * Profiling hook: which thread plays which role, so `gpc-lab profile` can name each thread's
 * `.cpuprofile` by role (main, notifier, vcpu-0, ...) instead of by V8's thread id.
 *
 * `gpc-lab profile` runs the job in a child process with `--cpu-prof` and with
 * `GPC_LAB_PROFILE_DIR` set to its output folder. When that variable is set, each call below
 * writes one tiny file `<dir>/thread-roles/<pid>.<threadId>.<role>.json`; the profile command
 * merges them into `<dir>/threads.json` after the job. When it is not set (every normal run), the
 * calls cost one property read and write nothing.
 *
 * Files, not messages: a worker records its own role without the main thread's help, and a thread
 * that crashes or is terminated has still recorded who it was. Each (thread, role) has its own
 * file, so no two threads ever write the same file.
 *
 * The main thread (threadId 0) is named `main` without a call.
 *
 * Workers inherit `--cpu-prof` only when created without an explicit `execArgv`; a pool that sets
 * `execArgv` (e.g. to `[]`) must add `profilerExecArgv()` to it, or its workers are not profiled.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** Environment variable that turns the hook on; its value is the profile output folder. */
export const PROFILE_DIR_ENV = 'GPC_LAB_PROFILE_DIR';
/** Sub-folder of the profile folder holding one file per recorded (thread, role). */
export const THREAD_ROLES_SUBDIR = 'thread-roles';

/** What one record file holds. */
export interface ThreadRoleRecord {
  readonly pid: number;
  readonly threadId: number;
  readonly role: string;
  /** Wall-clock ms (performance.timeOrigin + now) when recorded: orders a thread's roles. */
  readonly at: number;
}

const ROLE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The last role this thread recorded for itself, so a worker that runs many tasks writes once. */
let recordedOwnRole: string | undefined;

/**
 * Records that the calling thread plays `role` (e.g. `vcpu-0`, `notifier`). Call it inside the
 * worker, at the start of the task, before the hot loop. Returns this thread's threadId.
 * A role is 1-64 characters of [A-Za-z0-9_.-], starting with a letter or digit.
 */
export function recordThreadRole(role: string): number {
  if (recordedOwnRole === role) return threadId;
  recordThreadRoleOf(threadId, role);
  if (process.env[PROFILE_DIR_ENV]) recordedOwnRole = role;
  return threadId;
}

/**
 * Records that thread `workerThreadId` of this process plays `role`. For a thread that knows
 * another's threadId (e.g. the main thread after `worker.threadId`); a worker naming itself calls
 * `recordThreadRole`. A thread recorded with several roles is named `<role1>+<role2>...`.
 */
export function recordThreadRoleOf(workerThreadId: number, role: string): void {
  if (!ROLE_PATTERN.test(role)) {
    throw new Error(`thread role must be 1-64 characters of [A-Za-z0-9_.-], got '${role}'`);
  }
  const dir = process.env[PROFILE_DIR_ENV];
  if (!dir) return;
  const record: ThreadRoleRecord = {
    pid: process.pid,
    threadId: workerThreadId,
    role,
    at: performance.timeOrigin + performance.now(),
  };
  const rolesDir = join(dir, THREAD_ROLES_SUBDIR);
  mkdirSync(rolesDir, { recursive: true });
  writeFileSync(join(rolesDir, `${process.pid}.${workerThreadId}.${role}.json`), `${JSON.stringify(record)}\n`);
}

const PROFILER_FLAG = /^--cpu-prof(?:$|-dir|-interval)/;
const PROFILER_FLAG_WITH_SEPARATE_VALUE = /^--cpu-prof-(?:dir|interval)$/;

/**
 * The V8 CPU-profiler flags this thread runs with (`--cpu-prof`, `--cpu-prof-dir=...`,
 * `--cpu-prof-interval=...`), for a Worker or piscina pool created with an explicit `execArgv`:
 * `execArgv: [...mine, ...profilerExecArgv()]`. Empty when the process is not profiled.
 * (`--cpu-prof-name` is left out: with a fixed name every thread would overwrite one file.)
 */
export function profilerExecArgv(): string[] {
  const flags: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!PROFILER_FLAG.test(arg)) continue;
    flags.push(arg);
    if (PROFILER_FLAG_WITH_SEPARATE_VALUE.test(arg) && i + 1 < argv.length) flags.push(argv[++i]!);
  }
  return flags;
}
