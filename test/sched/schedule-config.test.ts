/** `--schedule` and its options (src/sched/schedule-config.ts): resolved values, and bad input through the CLI (exit 2, one line). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveScheduleConfig, scheduleFlags } from '../../src/sched/schedule-config.js';
import { DEFAULT_CHAOS_RATE, DEFAULT_PCT_DEPTH, DEFAULT_PCT_EPOCH, DEFAULT_SCHEDULE_STEPS } from '../../src/sched/schedule-kinds.js';
import { UsageError } from '../../src/util/usage-error.js';

const cli = join(resolve(process.env.GPC_LAB_DIST ?? 'dist'), 'cli.js');

describe('resolving the schedule options', () => {
  it('os by default, with the defaults and a scheduler seed derived from the workload seed', () => {
    const s = resolveScheduleConfig({}, 7);
    expect(s).toEqual({ kind: 'os', seed: (7 ^ 0x5eed) >>> 0, pctDepth: DEFAULT_PCT_DEPTH, pctEpoch: DEFAULT_PCT_EPOCH, chaosRate: DEFAULT_CHAOS_RATE, steps: DEFAULT_SCHEDULE_STEPS, saveSchedule: null });
    expect(scheduleFlags(s)).toEqual([]);
  });

  it('pct with its options, printed back for a re-run', () => {
    const s = resolveScheduleConfig({ schedule: 'pct', schedSeed: '11', pctDepth: '4', steps: '5000', saveSchedule: 'x.json' }, 7);
    expect(s).toMatchObject({ kind: 'pct', seed: 11, pctDepth: 4, steps: 5000, saveSchedule: 'x.json' });
    expect(scheduleFlags(s)).toEqual(['--schedule pct', '--sched-seed 11', '--pct-depth 4', '--steps 5000']);
    expect(scheduleFlags(resolveScheduleConfig({ schedule: 'pct', schedSeed: 3, pctEpoch: '100' }, 7))).toEqual(['--schedule pct', '--sched-seed 3', '--pct-epoch 100']);
    expect(resolveScheduleConfig({ schedule: 'pct', pctEpoch: '0' }, 7).pctEpoch).toBe(0);
    expect(scheduleFlags(resolveScheduleConfig({ schedule: 'chaos', schedSeed: 2, chaosRate: '0.5' }, 7))).toEqual(['--schedule chaos', '--sched-seed 2', '--chaos-rate 0.5']);
  });

  it.each<[Record<string, string>, string]>([
    [{ schedule: 'fifo' }, "--schedule must be one of os, chaos, random, pct, got 'fifo'"],
    [{ pctDepth: '2' }, '--pct-depth needs --schedule chaos, random or pct (got --schedule os)'],
    [{ schedule: 'random', pctDepth: '2' }, '--pct-depth needs --schedule pct (got --schedule random)'],
    [{ schedule: 'random', pctEpoch: '100' }, '--pct-epoch needs --schedule pct (got --schedule random)'],
    [{ schedule: 'pct', pctEpoch: '5' }, "--pct-epoch must be 0 (off) or from 10 to 20000000 steps, got '5'"],
    [{ schedule: 'pct', pctEpoch: 'x' }, "--pct-epoch must be an integer from 0 to 20000000, got 'x'"],
    [{ schedule: 'pct', chaosRate: '0.1' }, '--chaos-rate needs --schedule chaos (got --schedule pct)'],
    [{ schedule: 'chaos', steps: '1000' }, '--steps needs --schedule random or pct (a chaos schedule is not replayable)'],
    [{ schedule: 'chaos', saveSchedule: 'x.json' }, '--save-schedule needs --schedule random or pct (a chaos schedule is not replayable)'],
    [{ schedule: 'pct', pctDepth: '0' }, "--pct-depth must be an integer from 1 to 17, got '0'"],
    [{ schedule: 'pct', steps: '10' }, "--steps must be an integer from 100 to 20000000, got '10'"],
    [{ schedule: 'pct', schedSeed: '-1' }, "--sched-seed must be an integer from 0 to 4294967295, got '-1'"],
    [{ schedule: 'chaos', chaosRate: '2' }, '--chaos-rate must be'],
  ])('%j is a usage error: %s', (input, message) => {
    expect(() => resolveScheduleConfig(input, 1)).toThrow(UsageError);
    expect(() => resolveScheduleConfig(input, 1)).toThrow(message);
  });
});

describe('bad schedule options on the command line', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'gpc-schedule-config-'));
  it.each([
    [['--pct-depth', '2'], '--pct-depth needs --schedule chaos, random or pct (got --schedule os)'],
    [['--schedule', 'random', '--pct-depth', '2'], '--pct-depth needs --schedule pct (got --schedule random)'],
    [['--schedule', 'chaos', '--steps', '1000'], '--steps needs --schedule random or pct (a chaos schedule is not replayable)'],
    [['--schedule', 'chaos', '--save-schedule', 's.json'], '--save-schedule needs --schedule random or pct (a chaos schedule is not replayable)'],
    [['--schedule', 'pct', '--pct-depth', 'three'], "--pct-depth must be an integer from 1 to 17, got 'three'"],
    [['--schedule', 'os', '--pct-epoch', '100'], '--pct-epoch needs --schedule chaos, random or pct (got --schedule os)'],
    [['--schedule', 'lottery'], "--schedule must be one of os, chaos, random, pct, got 'lottery'"],
  ])('stress %j exits 2 with one line and runs nothing', (args, message) => {
    const result = spawnSync(process.execPath, [cli, 'stress', '--vcpus', '1', '--duration', '1', ...args], { encoding: 'utf8', timeout: 60_000, cwd });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
    expect(readdirSync(cwd)).toEqual([]);
  });
});
