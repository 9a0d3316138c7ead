import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/util/usage-error.js';
import { DEFAULT_INTERVAL_US, DEFAULT_TOP, parseProfileArgs } from '../../src/profile/profile-args.js';

const SUBCOMMANDS = ['stress', 'bench', 'torture'];

function parse(line: string) {
  return parseProfileArgs(line.split(' ').filter(Boolean), SUBCOMMANDS, ['profile-fixture']);
}

function usageErrorOf(line: string): string {
  try {
    parse(line);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`'${line}' was accepted`);
}

describe('gpc-lab profile command line', () => {
  it("the issue's example: --out after the job's options is profile's, the rest is the job's", () => {
    expect(parse('stress --vcpus 2 --duration 5 --out prof')).toEqual({
      subcommand: 'stress',
      jobArgs: ['--vcpus', '2', '--duration', '5'],
      outDir: 'prof',
      top: DEFAULT_TOP,
      json: false,
      intervalUs: DEFAULT_INTERVAL_US,
    });
  });

  it("profile's own options go before the subcommand; the same flags after it are the job's", () => {
    const args = parse('--json --top 5 --interval=250 --out=p bench --json --iterations 3');
    expect(args).toMatchObject({ subcommand: 'bench', outDir: 'p', json: true, top: 5, intervalUs: 250 });
    expect(args.jobArgs).toEqual(['--json', '--iterations', '3']);
  });

  it('after `--` everything is passed to the job verbatim, even --out', () => {
    expect(parse('torture --out d -- --out x --lock rwlock').jobArgs).toEqual(['--out', 'x', '--lock', 'rwlock']);
  });

  it('a hidden subcommand can be profiled but is not advertised', () => {
    expect(parse('profile-fixture --out d').subcommand).toBe('profile-fixture');
    expect(usageErrorOf('nosuch --out d')).not.toContain('profile-fixture');
  });

  it('bad input is a usage error that says what is wrong', () => {
    expect(usageErrorOf('')).toMatch(/missing the subcommand.*stress, bench, torture/);
    expect(usageErrorOf('--out d')).toMatch(/missing the subcommand/);
    expect(usageErrorOf('nosuch --out d')).toMatch(/unknown subcommand 'nosuch'.*stress, bench, torture/);
    expect(usageErrorOf('stress --vcpus 2')).toMatch(/--out DIR is required/);
    expect(usageErrorOf('stress --out')).toMatch(/--out needs a folder/);
    expect(usageErrorOf('stress --out --vcpus 2')).toMatch(/--out needs a folder/);
    expect(usageErrorOf('--out a stress --out b')).toMatch(/--out given twice/);
    expect(usageErrorOf('--vcpus 2 stress --out d')).toMatch(/unknown profile option '--vcpus'/);
    expect(usageErrorOf('--top 0 stress --out d')).toMatch(/--top must be an integer from 1 to 1000, got 0/);
    expect(usageErrorOf('--interval x stress --out d')).toMatch(/--interval must be an integer/);
    expect(usageErrorOf('profile stress --out d')).toMatch(/cannot profile the profile command/);
  });
});
