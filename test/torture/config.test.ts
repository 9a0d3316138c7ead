import { describe, expect, it } from 'vitest';
import { parseTortureOptions } from '../../src/torture/config.js';
import { UsageError } from '../../src/util/usage-error.js';

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('torture options', () => {
  it('no options: a 5-second rwlock run with 4 readers, 1 irq reader and 2 writers', () => {
    const config = parseTortureOptions({});
    expect(config).toMatchObject({ readers: 4, irqReaders: 1, writers: 2, durationS: 5, stallMs: 2000, json: false, crashAfter: -1 });
    expect(config.lock.name).toBe('rwlock');
    expect(Number.isInteger(config.seed)).toBe(true);
  });

  it('an exclusive lock defaults to no irq readers and refuses them when asked, naming the lock', () => {
    expect(parseTortureOptions({ lock: 'mutex' }).irqReaders).toBe(0);
    expect(usageMessage(() => parseTortureOptions({ lock: 'spinlock', irqReaders: '2' }))).toMatch(/--irq-readers needs an rwlock.*--lock spinlock/);
  });

  it('bad values are usage errors that name the flag, the value and what is allowed', () => {
    expect(usageMessage(() => parseTortureOptions({ lock: 'semaphore' }))).toMatch(/--lock must be one of rwlock, mutex, spinlock, .*got 'semaphore'/);
    expect(usageMessage(() => parseTortureOptions({ readers: '1.5' }))).toBe("--readers must be an integer from 0 to 64, got '1.5'");
    expect(usageMessage(() => parseTortureOptions({ writers: '-1' }))).toMatch(/--writers must be an integer from 0 to 64, got '-1'/);
    expect(usageMessage(() => parseTortureOptions({ writers: 'two' }))).toMatch(/got 'two'/);
    expect(usageMessage(() => parseTortureOptions({ duration: '0' }))).toMatch(/--duration must be a number of seconds > 0/);
    expect(usageMessage(() => parseTortureOptions({ duration: '-3' }))).toMatch(/got '-3'/);
    expect(usageMessage(() => parseTortureOptions({ duration: '5 weeks' }))).toMatch(/got '5 weeks'/);
    expect(parseTortureOptions({ duration: '500ms' }).durationS).toBe(0.5);
    expect(usageMessage(() => parseTortureOptions({ seed: '-1' }))).toMatch(/--seed must be an integer from 0 to 4294967295/);
    expect(usageMessage(() => parseTortureOptions({ readers: 0, writers: 0, irqReaders: 0 }))).toMatch(/no threads/);
  });

  it('decimal durations and explicit seeds are kept as given', () => {
    const config = parseTortureOptions({ duration: '0.5', seed: '4294967295', readers: '0', writers: '1', irqReaders: '0' });
    expect(config).toMatchObject({ durationS: 0.5, seed: 4294967295, readers: 0, writers: 1, irqReaders: 0 });
  });
});
