import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = join(resolve(process.env.GPC_LAB_DIST ?? 'dist'), 'cli.js');
const packageVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('gpc-lab at the top level', () => {
  it('--version prints the package version and exits 0', () => {
    for (const flag of ['--version', '-V']) {
      const result = run([flag]);
      expect(result.status).toBe(0);
      expect(result.stdout.trim()).toBe(packageVersion);
    }
  });

  it('--help shows examples and every exit code', () => {
    const result = run(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toMatch(/Exit codes: 0 clean, 1 findings.*2 usage error.*\n3 internal error, 130 interrupted by Ctrl-C/);
  });

  it.each([
    [['strss'], "error: unknown command 'strss'"],
    [['stress', '--vcpu', '3'], "error: unknown option '--vcpu'"],
    [['bench', '--quick', '--frobnicate'], "error: unknown option '--frobnicate'"],
  ])('%j: one error line (and a suggestion), then "add --help", never the whole help; exit 2', (args, first) => {
    const result = run(args);
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe(first);
    expect(lines[lines.length - 1]).toBe('(add --help for usage)');
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(result.stderr).not.toContain('Options:');
    expect(result.stdout).toBe('');
  });
});
