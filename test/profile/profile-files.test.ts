import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROFILE_DIR_ENV, recordThreadRole, recordThreadRoleOf } from '../../src/harness/thread-roles.js';
import { THREADS_FILE, nameProfilesByRole, prepareProfileDir } from '../../src/profile/profile-files.js';

const JOB_PID = 4242;

function v8ProfileName(pid: number, tid: number, seq: number): string {
  return `CPU.20260101.120000.${pid}.${tid}.${String(seq).padStart(3, '0')}.cpuprofile`;
}

describe('naming profiles by thread role', () => {
  let dir: string;
  let savedEnv: string | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gpc-lab-profile-files-'));
    savedEnv = process.env[PROFILE_DIR_ENV];
  });
  afterEach(() => {
    if (savedEnv === undefined) delete process.env[PROFILE_DIR_ENV];
    else process.env[PROFILE_DIR_ENV] = savedEnv;
    rmSync(dir, { recursive: true, force: true });
  });

  function writeProfiles(...threads: [pid: number, tid: number][]): void {
    threads.forEach(([pid, tid], i) => writeFileSync(join(dir, v8ProfileName(pid, tid, i + 1)), '{}'));
  }

  it('thread 0 is main, recorded roles name the workers, an unrecorded worker is thread-<tid>', () => {
    process.env[PROFILE_DIR_ENV] = dir;
    recordThreadRoleOf(3, 'vcpu-1');
    recordThreadRoleOf(2, 'vcpu-0');
    recordThreadRoleOf(1, 'notifier');
    // The records are for this process; pretend it is the job.
    writeProfiles([process.pid, 0], [process.pid, 1], [process.pid, 2], [process.pid, 3], [process.pid, 4]);

    const { threads, unprofiledRoles } = nameProfilesByRole(dir, process.pid);

    expect(threads.map((t) => [t.role, t.threadId, t.file])).toEqual([
      ['main', 0, 'main.cpuprofile'],
      ['notifier', 1, 'notifier.cpuprofile'],
      ['thread-4', 4, 'thread-4.cpuprofile'],
      ['vcpu-0', 2, 'vcpu-0.cpuprofile'],
      ['vcpu-1', 3, 'vcpu-1.cpuprofile'],
    ]);
    expect(readdirSync(dir).sort()).toEqual([...threads.map((t) => t.file), THREADS_FILE].sort());
    expect(JSON.parse(readFileSync(join(dir, THREADS_FILE), 'utf8'))).toEqual(threads);
    expect(unprofiledRoles).toEqual([]);
  });

  it('two threads with one role get tid suffixes; one thread with two roles joins them', () => {
    process.env[PROFILE_DIR_ENV] = dir;
    recordThreadRoleOf(1, 'vcpu-0');
    recordThreadRoleOf(2, 'vcpu-0');
    recordThreadRoleOf(3, 'reader-0');
    recordThreadRoleOf(3, 'reader-1');
    writeProfiles([process.pid, 0], [process.pid, 1], [process.pid, 2], [process.pid, 3]);

    expect(nameProfilesByRole(dir, process.pid).threads.map((t) => t.file)).toEqual([
      'main.cpuprofile',
      'reader-0+reader-1.cpuprofile',
      'vcpu-0-tid1.cpuprofile',
      'vcpu-0-tid2.cpuprofile',
    ]);
  });

  it("another process's profiles are prefixed with its pid", () => {
    writeProfiles([JOB_PID, 0], [777, 0]);
    expect(nameProfilesByRole(dir, JOB_PID).threads.map((t) => t.role)).toEqual(['main', 'pid777-main']);
  });

  it('threads that recorded a role but wrote no profile are reported (workers not profiled)', () => {
    process.env[PROFILE_DIR_ENV] = dir;
    recordThreadRoleOf(2, 'writer-0');
    recordThreadRoleOf(1, 'reader-0');
    writeProfiles([process.pid, 0]);
    const named = nameProfilesByRole(dir, process.pid);
    expect(named.threads.map((t) => t.role)).toEqual(['main']);
    expect(named.unprofiledRoles).toEqual(['reader-0', 'writer-0']);
  });

  it('a worker records its own role once, by its threadId; without the variable nothing is written', () => {
    delete process.env[PROFILE_DIR_ENV];
    expect(recordThreadRole('idle-thread')).toBe(0);
    expect(readdirSync(dir)).toEqual([]);

    process.env[PROFILE_DIR_ENV] = dir;
    expect(recordThreadRole('main-alias')).toBe(0);
    expect(readdirSync(join(dir, 'thread-roles'))).toEqual([`${process.pid}.0.main-alias.json`]);
    expect(() => recordThreadRoleOf(1, 'bad/role')).toThrow(/thread role must be/);
  });

  it('preparing the folder removes an earlier run\'s profiles and map, and keeps other files', () => {
    writeFileSync(join(dir, 'vcpu-3.cpuprofile'), '{}');
    writeFileSync(join(dir, THREADS_FILE), '[]');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    prepareProfileDir(dir);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });
});
