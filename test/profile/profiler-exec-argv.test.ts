import { afterEach, describe, expect, it } from 'vitest';
import { profilerExecArgv } from '../../src/harness/thread-roles.js';

describe('profiler flags for workers with an explicit execArgv', () => {
  const saved = process.execArgv;
  afterEach(() => {
    process.execArgv = saved;
  });

  it('passes on --cpu-prof, its folder and interval, and nothing else', () => {
    process.execArgv = ['--conditions', 'dev', '--cpu-prof', '--cpu-prof-dir=/p', '--cpu-prof-interval', '250', '--cpu-prof-name=x'];
    expect(profilerExecArgv()).toEqual(['--cpu-prof', '--cpu-prof-dir=/p', '--cpu-prof-interval', '250']);
  });

  it('is empty when the process is not profiled', () => {
    process.execArgv = ['--enable-source-maps'];
    expect(profilerExecArgv()).toEqual([]);
  });
});
