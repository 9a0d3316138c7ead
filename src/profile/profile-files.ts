/**
 * The profile output folder: cleared before a run, then V8's `CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile`
 * files are renamed by thread role (`main.cpuprofile`, `vcpu-0.cpuprofile`, ...) using the role
 * records the job wrote (src/harness/thread-roles.ts), and `threads.json` lists them.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { THREAD_ROLES_SUBDIR, type ThreadRoleRecord } from '../harness/thread-roles.js';

/** The map written to `<dir>/threads.json`, one entry per profiled thread. */
export const THREADS_FILE = 'threads.json';

export interface ProfiledThread {
  readonly role: string;
  readonly pid: number;
  readonly threadId: number;
  /** File name inside the output folder. */
  readonly file: string;
}

const V8_PROFILE_NAME = /^CPU\.\d{8}\.\d{6}\.(\d+)\.(\d+)\.(\d+)\.cpuprofile$/;

/**
 * Makes `dir` ready for a run: creates it, and removes what an earlier run left there (its
 * `*.cpuprofile` files, `threads.json`, role records) so no stale thread shows up in this one.
 * Other files are left alone.
 */
export function prepareProfileDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.cpuprofile') || name === THREADS_FILE) rmSync(join(dir, name), { force: true });
  }
  rmSync(join(dir, THREAD_ROLES_SUBDIR), { recursive: true, force: true });
}

interface RawProfile {
  readonly name: string;
  readonly pid: number;
  readonly threadId: number;
  readonly seq: number;
}

export interface NamedProfiles {
  /** `main` first, then by role. */
  readonly threads: ProfiledThread[];
  /**
   * Roles recorded by threads that wrote no profile: workers started with an explicit `execArgv`
   * that left out `profilerExecArgv()` (docs/ARCHITECTURE.md, "Profiling hooks").
   */
  readonly unprofiledRoles: string[];
}

/**
 * Renames the job's profiles by role and writes `threads.json`. `jobPid` is the profiled process:
 * its thread 0 is `main`; a thread that recorded no role is `thread-<tid>`; a thread with several
 * roles is `<role1>+<role2>`; two threads with one role get `-tid<tid>` suffixes; a profile from
 * another process gets a `pid<pid>-` prefix.
 */
export function nameProfilesByRole(dir: string, jobPid: number): NamedProfiles {
  const raw = readdirSync(dir).flatMap(function parseV8ProfileName(name): RawProfile[] {
    const match = V8_PROFILE_NAME.exec(name);
    if (match === null) return [];
    return [{ name, pid: Number(match[1]), threadId: Number(match[2]), seq: Number(match[3]) }];
  });
  raw.sort((a, b) => a.seq - b.seq);
  const roles = readRoleRecords(dir);

  const named = raw.map(function roleName(profile) {
    const recorded = roles.get(`${profile.pid}.${profile.threadId}`);
    let role = recorded?.join('+') ?? (profile.threadId === 0 ? 'main' : `thread-${profile.threadId}`);
    if (profile.pid !== jobPid) role = `pid${profile.pid}-${role}`;
    return { ...profile, role };
  });
  const uses = new Map<string, number>();
  for (const profile of named) uses.set(profile.role, (uses.get(profile.role) ?? 0) + 1);

  const threads = named.map(function renameOne(profile): ProfiledThread {
    const role = uses.get(profile.role)! > 1 ? `${profile.role}-tid${profile.threadId}` : profile.role;
    const file = `${role}.cpuprofile`;
    renameSync(join(dir, profile.name), join(dir, file));
    return { role, pid: profile.pid, threadId: profile.threadId, file };
  });
  threads.sort(compareThreads);
  writeFileSync(join(dir, THREADS_FILE), `${JSON.stringify(threads, null, 2)}\n`);
  rmSync(join(dir, THREAD_ROLES_SUBDIR), { recursive: true, force: true });
  const profiled = new Set(raw.map((profile) => `${profile.pid}.${profile.threadId}`));
  const unprofiledRoles = [...roles].filter(([thread]) => !profiled.has(thread)).flatMap(([, names]) => names);
  unprofiledRoles.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return { threads, unprofiledRoles };
}

/** `main` first, then by role with numbers compared as numbers (vcpu-2 before vcpu-10). */
export function compareThreads(a: ProfiledThread, b: ProfiledThread): number {
  if ((a.role === 'main') !== (b.role === 'main')) return a.role === 'main' ? -1 : 1;
  return a.role.localeCompare(b.role, 'en', { numeric: true }) || a.threadId - b.threadId;
}

/** "<pid>.<tid>" -> the roles recorded for that thread, oldest first. */
function readRoleRecords(dir: string): Map<string, string[]> {
  const rolesDir = join(dir, THREAD_ROLES_SUBDIR);
  let names: string[];
  try {
    if (!statSync(rolesDir).isDirectory()) return new Map();
    names = readdirSync(rolesDir);
  } catch {
    return new Map(); // the job recorded no role (e.g. it started no worker)
  }
  const records: ThreadRoleRecord[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    records.push(JSON.parse(readFileSync(join(rolesDir, name), 'utf8')) as ThreadRoleRecord);
  }
  records.sort((a, b) => a.at - b.at);
  const byThread = new Map<string, string[]>();
  for (const record of records) {
    const key = `${record.pid}.${record.threadId}`;
    const list = byThread.get(key) ?? [];
    if (!list.includes(record.role)) list.push(record.role);
    byThread.set(key, list);
  }
  return byThread;
}
