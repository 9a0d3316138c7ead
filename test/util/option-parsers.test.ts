import { describe, expect, it } from 'vitest';
import { parseSecondsOption } from '../../src/util/option-parsers.js';
import { UsageError } from '../../src/util/usage-error.js';

describe('durations on the command line', () => {
  it.each([
    ['30', 30],
    ['0.5', 0.5],
    ['30s', 30],
    ['500ms', 0.5],
    ['2m', 120],
    ['2min', 120],
    ['1h', 3600],
    [' 1.5 s ', 1.5],
    [12, 12],
  ])('reads %j as %d seconds', (raw, seconds) => {
    expect(parseSecondsOption('--duration', raw, 3600)).toBeCloseTo(seconds, 9);
  });

  it.each(['0', '-1', '0ms', 'soon', '30x', '3601', '61m', '1d', ''])('refuses %j with one line naming the flag, the value and the forms allowed', (raw) => {
    let error: unknown;
    try {
      parseSecondsOption('--budget', raw, 3600);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(`--budget must be a number of seconds > 0 and <= 3600, or a duration with a unit (500ms, 30s, 2m, 1h), got '${raw}'`);
  });
});
