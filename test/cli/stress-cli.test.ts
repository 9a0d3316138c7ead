import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = join(resolve(process.env.GPC_LAB_DIST ?? 'dist'), 'cli.js');

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, 'stress', ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('gpc-lab stress on the command line', () => {
  it.each([
    [['--vcpus', '0'], '--vcpus must be an integer from 1 to 256'],
    [['--duration', '-1'], '--duration must be a number of seconds'],
    [['--strategy', 'bogus'], '--strategy must be one of locked, generation, lockless, none'],
    [['--bug', 'nope'], '--bug must be one of'],
    [['--bug', 'refresh-skips-retry', '--bug', 'refresh-skips-retry'], '--bug refresh-skips-retry given twice'],
    [['--perfetto', '/nonexistent/t.json'], '--perfetto /nonexistent/t.json: directory /nonexistent does not exist'],
    [['--duration', '5 weeks'], "or a duration with a unit (500ms, 30s, 2m, 1h), got '5 weeks'"],
    [['--xen-attach', 'both'], "--xen-attach must be one of gpa, hva, mixed, got 'both'"],
    [['--fix', 'nope'], "--fix must be one of hva-seq-miss, seed-apic-check-polarity, seed-check-pi-desc, griffoul-host-refresh-reloads, griffoul-refresh-unlocked, dwmw2-invalidate-at-start, dwmw2-hook-any-pfn, got 'nope'"],
  ])('bad input %j exits 2 with a clear message and runs nothing', (args, message) => {
    const result = run(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.stdout).toBe('');
  });

  it('a short clean run prints the report and exits 0', () => {
    const result = run(['--vcpus', '1', '--duration', '1', '--seed', '5']);
    expect(result.stdout).toContain('verdict: CLEAN');
    expect(result.status).toBe(0);
  });
});

describe('gpc-lab stress ends cleanly when things go wrong', () => {
  it('a vCPU thread that crashes: exit 3, the report names the thread and the error, no thread is left running', () => {
    const result = run(['--vcpus', '2', '--duration', '5', '--crash-after', '2000', '--json']);
    expect(result.status).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report.verdict).toBe('internal-error');
    expect(report.internalErrors.join('\n')).toContain('vcpu-0');
    expect(report.internalErrors.join('\n')).not.toContain('left running');
  });

  it('Ctrl-C during a run: it stops early, prints a partial report and exits 130', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [cli, 'stress', '--vcpus', '2', '--duration', '30', '--seed', '9'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let stderr = '';
    let interrupted = false;
    const startedAt = Date.now();
    // Interrupt once the run shows progress (a plain progress line on stderr), not after a guess.
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!interrupted && /vmentries/.test(stderr)) {
        interrupted = true; // exactly one Ctrl-C: a second one aborts without a report
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolveExit) => {
      const bound = setTimeout(() => child.kill('SIGKILL'), 60_000); // never leave a hung child
      child.on('exit', (c) => {
        clearTimeout(bound);
        resolveExit(c);
      });
    });
    expect(interrupted).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(25_000); // well before the 30 s duration
    expect(stdout).toContain('stop: interrupted');
    expect(code).toBe(130); // 128 + SIGINT, after the partial report
  });
});
