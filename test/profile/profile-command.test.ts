/**
 * End to end: `gpc-lab profile` on the built CLI, profiling the hidden `profile-fixture` job (one
 * thread computing, one sleeping in Atomics.wait, started by the harness's pool).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCpuProfile } from '../../src/profile/cpuprofile.js';
import type { ProfileReport } from '../../src/profile/profile-report.js';
import { formatProfileReport } from '../../src/profile/profile-report.js';

const DIST = resolve(process.env.GPC_LAB_DIST ?? 'dist');
const CLI = join(DIST, 'cli.js');
const RUN_LIMIT_MS = 60_000;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function gpcLab(args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      done({ code, stdout, stderr });
    });
  });
}

describe('gpc-lab profile on a real run', () => {
  let scratch: string;
  let outDir: string;
  let run: CliResult;
  let report: ProfileReport;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'gpc-lab-profile-'));
    outDir = join(scratch, 'prof');
    run = await gpcLab(['profile', '--json', '--top', '5', 'profile-fixture', '--ms', '400', '--out', outDir]);
    report = JSON.parse(run.stdout) as ProfileReport;
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('writes one valid .cpuprofile per thread, named by role, and threads.json', () => {
    expect(run.code).toBe(0);
    expect(readdirSync(outDir).sort()).toEqual([
      'fixture-compute.cpuprofile',
      'fixture-wait.cpuprofile',
      'main.cpuprofile',
      'threads.json',
    ]);
    for (const name of ['main', 'fixture-compute', 'fixture-wait']) {
      const path = join(outDir, `${name}.cpuprofile`);
      const profile = parseCpuProfile(readFileSync(path, 'utf8'), path);
      expect(profile.samples.length, name).toBeGreaterThan(50);
    }
    const threads = JSON.parse(readFileSync(join(outDir, 'threads.json'), 'utf8')) as { role: string; threadId: number }[];
    expect(threads.map((t) => t.role)).toEqual(['main', 'fixture-compute', 'fixture-wait']);
    expect(threads[0]!.threadId).toBe(0);
    expect(new Set(threads.map((t) => t.threadId)).size).toBe(3);
    expect(report.unprofiledRoles).toEqual([]);
    expect(run.stderr).not.toContain('wrote no profile');
  });

  it("the job's own output goes to stderr under --json, the summary to stdout", () => {
    expect(run.stderr).toContain('fixture-wait: thread');
    expect(report.job).toEqual({ subcommand: 'profile-fixture', args: ['--ms', '400'], exitCode: 0, signal: null });
  });

  it('a thread that mostly sleeps in Atomics.wait is summarized as waiting, in the named function', () => {
    const waiter = report.threads.find((t) => t.role === 'fixture-wait')!;
    // The fixture sleeps 400 ms in Atomics.wait; the rest of the thread's time is its start-up
    // (module loading: compute and program), which grows with the machine's load, so the wait is
    // judged against the sleep, not as a share of the thread's total.
    expect(waiter.categoryMs.wait).toBeGreaterThan(0.75 * 400);
    expect(waiter.top[0]).toMatchObject({ name: 'parkFixtureWaiter', category: 'wait' });
    expect(waiter.top[0]!.selfMs).toBeGreaterThan(250);
  });

  it('a thread that computes is summarized as computing, in the named function', () => {
    const computer = report.threads.find((t) => t.role === 'fixture-compute')!;
    expect(computer.categoryMs.compute).toBeGreaterThan(0.5 * computer.totalMs);
    expect(computer.categoryMs.wait).toBeLessThan(0.1 * computer.totalMs);
    expect(computer.top[0]).toMatchObject({ name: 'spinFixtureCompute', category: 'compute' });
  });

  it('category times add up to the thread total, and the idle main thread shows as idle', () => {
    for (const thread of report.threads) {
      const sum = Object.values(thread.categoryMs).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(thread.totalMs, 3);
      expect(thread.top.length).toBeLessThanOrEqual(5);
    }
    const main = report.threads.find((t) => t.role === 'main')!;
    expect(main.categoryMs.idle).toBeGreaterThan(0.5 * main.totalMs);
  });

  it('hot functions map back through the source maps to their .ts source lines', () => {
    const waiter = report.threads.find((t) => t.role === 'fixture-wait')!.top[0]!;
    const computer = report.threads.find((t) => t.role === 'fixture-compute')!.top[0]!;
    for (const fn of [waiter, computer]) {
      expect(fn.location).toMatchObject({ file: 'workers/profile-fixture.worker.ts', mapped: true });
      const sourceLine = readFileSync('workers/profile-fixture.worker.ts', 'utf8').split('\n')[fn.location!.line - 1];
      expect(sourceLine).toContain(`function ${fn.name}(`);
    }
  });

  it('the text summary lists each thread with its split and its top functions', () => {
    const text = formatProfileReport(report);
    expect(text).toMatch(/^fixture-wait \(tid \d+\) fixture-wait\.cpuprofile: .* wait \d+\.\d%/m);
    expect(text).toMatch(/wait\s+parkFixtureWaiter\s+workers\/profile-fixture\.worker\.ts:\d+:\d+/);
  });
});

describe('gpc-lab profile exit codes', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'gpc-lab-profile-exit-'));
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('the text summary is printed and the job\'s exit code 1 (findings) is passed on', async () => {
    const result = await gpcLab(['profile', 'profile-fixture', '--ms', '20', '--exit-code', '1', '--out', join(scratch, 'p1')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^main \(tid 0\) main\.cpuprofile/m);
    expect(result.stdout).toMatch(/^fixture-compute \(tid \d+\)/m);
  });

  it('usage errors exit 2 with a one-line message and no stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['profile'], /missing the subcommand to profile/],
      [['profile', 'nosuch', '--out', join(scratch, 'x')], /unknown subcommand 'nosuch'/],
      [['profile', 'profile-fixture', '--ms', '20'], /--out DIR is required/],
      [['profile', '--top', 'many', 'profile-fixture', '--out', join(scratch, 'x')], /--top must be an integer/],
    ];
    for (const [args, message] of cases) {
      const result = await gpcLab(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(join(scratch, 'x'))).toBe(false);
  });

  it("the job's own usage error exits 2", async () => {
    const result = await gpcLab(['profile', 'profile-fixture', '--ms', '0', '--out', join(scratch, 'p2')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--ms must be an integer from 10/);
  });
});
