/**
 * The torture against the real locks (must be clean) and against the broken-on-purpose variants
 * (must be caught, each by the property it breaks). 8 threads on 2 cores: oversubscribed on purpose.
 */
import { describe, expect, it } from 'vitest';
import { parseTortureOptions } from '../../src/torture/config.js';
import { runTorture } from '../../src/torture/runner.js';
import { formatTortureReport, type TortureReport } from '../../src/torture/report.js';

async function torture(options: Parameters<typeof parseTortureOptions>[0]): Promise<TortureReport> {
  const config = parseTortureOptions({ seed: 12345, ...options });
  const report = await runTorture(config, { progress: 'silent', notice: () => {} });
  expect(report.threadsLeftRunning).toBe(0);
  return report;
}

function explain(report: TortureReport): string {
  return formatTortureReport(report).join('\n');
}

describe('torture on the real locks', () => {
  it('rwlock, 5 readers + 1 irq reader + 2 writers for 2 s: clean, every thread acquired, readers shared', async () => {
    const report = await torture({ lock: 'rwlock', readers: 5, irqReaders: 1, writers: 2, duration: 2 });
    expect(report.verdict, explain(report)).toBe('clean');
    expect(report.exitCode).toBe(0);
    expect(report.failures.count).toBe(0);
    for (const role of ['reader', 'irq-reader', 'writer'] as const) expect(report.roles[role]!.min, role).toBeGreaterThan(0);
    expect(report.maxReadersInsideTogether).toBeGreaterThan(1);
    expect(report.waitNs.all!.count).toBe(report.totalAcquisitions);
    expect(report.opsPerSec).toBeGreaterThan(0);
    expect(report.elapsedMs).toBeGreaterThan(1900);
  });

  for (const lock of ['mutex', 'spinlock'] as const) {
    it(`${lock}, 4 readers + 4 writers for 2 s: clean, every thread acquired, never two holders`, async () => {
      const report = await torture({ lock, readers: 4, writers: 4, duration: 2 });
      expect(report.verdict, explain(report)).toBe('clean');
      expect(report.roles.reader!.min).toBeGreaterThan(0);
      expect(report.roles.writer!.min).toBeGreaterThan(0);
      expect(report.maxReadersInsideTogether).toBe(1);
      expect(report.lockStats.contended).toBeGreaterThan(0); // it was really contended
    });
  }
});

describe('torture catches the broken locks', () => {
  it('a writer that does not wait for readers: writers see readers inside and readers see torn values', async () => {
    const report = await torture({ lock: 'broken-rwlock-no-reader-wait', readers: 5, irqReaders: 1, writers: 2, duration: 2 });
    expect(report.verdict, explain(report)).toBe('failures');
    expect(report.exitCode).toBe(1);
    expect(report.failures.byKind['writer saw a reader inside']).toBeGreaterThan(0);
    expect(report.failures.byKind['reader saw the multi-word value torn']).toBeGreaterThan(0);
    // writers still exclude each other: only reader/writer overlaps, each described with its counts
    expect(report.failures.byKind['writer saw another writer inside']).toBeUndefined();
    for (const f of report.failures.first) {
      expect(f.description).toMatch(
        /^(writer saw a reader inside \(\d+ readers\)|reader saw a writer inside \(\d+ writers\)|reader saw the multi-word value torn \(word 0 = -?\d+, a later word = -?\d+\))$/,
      );
    }
  });

  it("an unlock that forgets to wake a sleeper: a stall, reported with the sleepers' states and the lock words", async () => {
    const began = performance.now();
    const report = await torture({ lock: 'broken-mutex-no-wake', readers: 4, writers: 4, duration: 2, stallMs: 1000 });
    expect(report.verdict, explain(report)).toBe('stall');
    expect(report.exitCode).toBe(1);
    const stall = report.stall!;
    expect(stall.stalled.length).toBeGreaterThan(0);
    for (const name of stall.stalled) {
      expect(stall.threads.find((t) => t.name === name)!.stateName).toBe('waiting for mutex');
    }
    expect(stall.state.join('\n')).toMatch(/lock STATE=/);
    // bounded: duration + stall time + kill delay, with slack for a loaded machine
    expect(performance.now() - began).toBeLessThan(2000 + 1000 + 5000);
  });

  it('a test-then-set spinlock: two holders inside at once', async () => {
    const report = await torture({ lock: 'broken-spinlock-check-then-set', readers: 4, writers: 4, duration: 2 });
    expect(report.verdict, explain(report)).toBe('failures');
    const kinds = Object.keys(report.failures.byKind);
    expect(kinds.some((k) => /saw another (writer|holder) inside|saw a writer inside|saw a reader inside|lost update/.test(k))).toBe(true);
  });
});

describe('torture when a thread crashes', () => {
  it('a thread that throws ends the run as an internal error and no thread is left running', async () => {
    const report = await torture({ lock: 'rwlock', readers: 3, irqReaders: 0, writers: 2, duration: 10, crashAfter: 1000 });
    expect(report.verdict).toBe('internal-error');
    expect(report.exitCode).toBe(3);
    expect(report.internalErrors.join('\n')).toContain('thread reader-0 failed: injected crash after 1000 acquisitions');
    expect(report.stopReason).toBe('thread-failed');
    expect(report.threads.find((t) => t.name === 'reader-0')!.status).toBe('failed');
    // the others saw the stop and ended on their own, long before the 10 s duration
    expect(report.threads.filter((t) => t.name !== 'reader-0').every((t) => t.status === 'done')).toBe(true);
    expect(report.elapsedMs).toBeLessThan(8000);
    expect(report.threadsLeftRunning).toBe(0);
  });
});
