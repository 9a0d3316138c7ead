import { describe, expect, it } from 'vitest';
import { categorizeFunction } from '../../src/profile/time-categories.js';

describe('profile time categories', () => {
  it("the locks' futex sleep, piscina's idle loop and the start barrier count as waiting", () => {
    expect(categorizeFunction('parkOnWord')).toBe('wait');
    expect(categorizeFunction('futexWaitShared')).toBe('wait');
    expect(categorizeFunction('atomicsWaitLoop')).toBe('wait');
    expect(categorizeFunction('awaitStartBarrier')).toBe('wait');
  });

  it("V8's pseudo-functions are their own categories", () => {
    expect(categorizeFunction('(idle)')).toBe('idle');
    expect(categorizeFunction('(garbage collector)')).toBe('gc');
    expect(categorizeFunction('(program)')).toBe('program');
    expect(categorizeFunction('(root)')).toBe('program');
  });

  it('everything else, spinning included, is computing', () => {
    expect(categorizeFunction('futexMutexLockSlow')).toBe('compute');
    expect(categorizeFunction('spinPauseNoop')).toBe('compute');
    expect(categorizeFunction('')).toBe('compute');
    expect(categorizeFunction('parse')).toBe('compute');
  });

  it('a function named like an Object.prototype member is computing, not a bogus category (its time was lost from the totals)', () => {
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) expect(categorizeFunction(name), name).toBe('compute');
  });
});
