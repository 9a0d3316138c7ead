/**
 * `gpc-lab torture` as a user runs it: the built CLI in a child process (GPC_LAB_DIST or dist/).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = resolve(process.env.GPC_LAB_DIST ?? join(import.meta.dirname, '../../dist'));
const cli = join(dist, 'cli.js');

function gpcLab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!existsSync(cli)) throw new Error(`${cli} not found: build first`);
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, GPC_LAB_DIST: dist },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('gpc-lab torture (CLI)', () => {
  it.each([
    [['--readers', '0', '--writers', '0', '--irq-readers', '0'], /error: no threads/],
    [['--duration', '-1'], /error: --duration must be a number of seconds > 0 .*got '-1'/],
    [['--duration', '0'], /error: --duration must be a number of seconds > 0 .*got '0'/],
    [['--lock', 'ticket'], /error: --lock must be one of rwlock, mutex, spinlock.*got 'ticket'/],
    [['--writers', '2.5'], /error: --writers must be an integer from 0 to 64, got '2.5'/],
    [['--lock', 'mutex', '--irq-readers', '1'], /error: --irq-readers needs an rwlock/],
  ])('usage error %j: exit 2, one clear line, no stack trace', (args, message) => {
    const result = gpcLab('torture', ...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('--help lists the real locks and marks the broken ones as self-test variants', () => {
    const result = gpcLab('torture', '--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/rwlock/);
    expect(result.stdout).toMatch(/Self-test variants \(broken on purpose/);
    expect(result.stdout).toMatch(/broken-mutex-no-wake/);
    expect(result.stdout).not.toMatch(/crash-after/);
  });

  it('a short clean rwlock run with --json: exit 0 and a parseable report with no failures', () => {
    const result = gpcLab('torture', '--duration', '0.5', '--seed', '7', '--json');
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ command: 'torture', verdict: 'clean', exitCode: 0, config: { lock: 'rwlock', seed: 7 } });
    expect(report.failures.count).toBe(0);
    expect(report.roles.writer.min).toBeGreaterThan(0);
    expect(report.environment.availableParallelism).toBeGreaterThan(0);
    expect(result.stderr).toBe(''); // --json: no progress lines
  });

  it('--readers 0 --writers 0 on an rwlock: the default irq reader runs alone, and the report says so', () => {
    const result = gpcLab('torture', '--readers', '0', '--writers', '0', '--duration', '0.5', '--seed', '7');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('0 readers, 1 irq reader (the rwlock default; --irq-readers 0 for none), 0 writers');
    expect(result.stdout).toMatch(/note: only 1 irq reader ran, with no process-context reader and no writer: nothing contends/);
  });

  it('a run whose thread crashes: exit 3 and the report names the thread and the error', () => {
    const result = gpcLab('torture', '--duration', '5', '--readers', '2', '--writers', '1', '--crash-after', '500');
    expect(result.status).toBe(3);
    expect(result.stdout).toMatch(/verdict: INTERNAL ERROR/);
    expect(result.stdout).toMatch(/thread reader-0 failed: injected crash after 500 acquisitions/);
  });

  it('the broken mutex: exit 1 with a stall report naming the waiting threads', () => {
    const result = gpcLab('torture', '--lock', 'broken-mutex-no-wake', '--duration', '1', '--readers', '2', '--writers', '2', '--stall-ms', '800');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/verdict: STALL/);
    expect(result.stdout).toMatch(/! \S+\s+waiting for mutex/);
  });

  it('Ctrl-C during a run: the run stops early and prints a partial report marked interrupted', async () => {
    const child = spawn(process.execPath, [cli, 'torture', '--duration', '20', '--seed', '3'], {
      env: { ...process.env, GPC_LAB_DIST: dist },
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const began = performance.now();
    // Interrupt once the run shows progress (a plain progress line on stderr), not after a guess.
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (!interrupted && /torture rwlock: .* acquisitions/.test(stderr)) {
        interrupted = true; // exactly one Ctrl-C: a second one would abort without a report
        child.kill('SIGINT');
      }
    });
    const exitCode = await new Promise<number | null>((resolve) => {
      const bound = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('exit', (code) => {
        clearTimeout(bound);
        resolve(code);
      });
    });
    expect(exitCode).toBe(130); // 128 + SIGINT, after the partial report
    expect(performance.now() - began).toBeLessThan(15_000); // well before the 20 s duration
    expect(stdout).toMatch(/verdict: CLEAN .*\[interrupted: partial run\]/);
    expect(stdout).toMatch(/stop: interrupted/);
    expect(stderr).toMatch(/interrupted: stopping the run/);
  });
});
