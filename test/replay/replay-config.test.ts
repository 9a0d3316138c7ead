/** The stress options a replay runs with (src/replay/replay-config.ts). */
import { describe, expect, it } from 'vitest';
import { stressOf } from '../../src/replay/replay-config.js';
import type { ScheduleFile } from '../../src/sched/schedule-file.js';

function file(kind: 'pct' | 'random', duration: number | undefined): ScheduleFile {
  return {
    format: 'gpc-lab-schedule',
    formatVersion: 1,
    tool: { name: 'gpc-lab', version: '0' },
    modelHash: 'x',
    createdAt: '',
    config: { vcpus: 2, seed: 3, bug: ['refresh-skips-retry'], ...(duration === undefined ? {} : { duration }), schedule: 'os' },
    threads: [],
    scheduler: { kind, seed: 77, pctDepth: 4, changePoints: [5, 6, 7], steps: 5000 },
    stop: { step: 10, reason: 5, reasonName: 'finding' },
    decisions: { count: 0, runs: [] },
    traceHash: '00000000',
    finding: null,
  };
}

describe('the options a replay runs with', () => {
  it('the recorded configuration, under the recorded scheduler, with JSON output', () => {
    expect(stressOf(file('pct', 5))).toMatchObject({ vcpus: 2, seed: 3, bug: ['refresh-skips-retry'], json: true, schedule: 'pct', schedSeed: 77, steps: 5000, pctDepth: 4 });
  });

  it('a random schedule carries no PCT depth (a usage error otherwise)', () => {
    const options = stressOf(file('random', 5));
    expect(options.schedule).toBe('random');
    expect(options.pctDepth).toBeUndefined();
  });

  it('a wall-clock cap that only ever truncates: at least 120 s, four times the recorded duration', () => {
    expect(stressOf(file('pct', 5)).duration).toBe(120);
    expect(stressOf(file('pct', 100)).duration).toBe(400);
    expect(stressOf(file('pct', undefined)).duration).toBe(120);
  });
});
