import { describe, expect, it } from 'vitest';
import { PROPERTIES } from '../../src/oracle/properties.js';
import { MAX_PROPERTIES, type DetailContext } from '../../src/trace/property.js';

const ctx: DetailContext = { pageShift: 12, messages: ['vcpu-0: LockdepError: lock not held: gpc 1 refreshLock'] };

/** Recorded ints (a, b, c) each property's checks can write, one triple per check that fires. */
const SAMPLES: Record<string, [number, number, number][]> = {
  'uaf-khva': [[0, 3, 1], [1, 4, 2]],
  'uaf-guest-mode': [[0, 2, 1]],
  'free-while-in-guest': [[1, 1, 0], [2, 2, 0]],
  'stale-pte': [[-1, 5, 0], [7, 5, 0], [7, -1, 0]],
  'stale-generation': [[1, 2, 0]],
  'stale-entry': [[0, 1, 53 * 1024 + 2 * 2 + 1]],
  'wrong-page': [[4, 0, 0], [-1, 0, 0]],
  'state-invariant': [[1, 4096, 0], [3, -1, 0], [1, 6, 9], [6, -1, 0], [6, 4096, 0], [7, 25, 0]],
  events: [[10, 8, 1], [10, 12, 2], [3, 1, 3]],
  records: [[1, 2, 1], [1, 2, 2], [5, 4, 3], [5, 4, 4]],
  'lock-sanity': [[1, 2, 8], [1, 16, 7], [2, 0, 10], [0, 0, 11], [1, 0, 12]],
  leaks: [[1, -1, 5], [3, 2, 6], [0, 0, 0], [10, 5, 12], [3, 1, 15], [0, 0, 13], [4, 0, 14]],
  stall: [[2, 5000, 0], [3, 0, 1]],
  livelock: [[100, 2000, 0]],
  'lost-write': [[4, 1, 2], [5, 3, 1]],
  'injected-race': [[42, 0, 0]],
};

describe('the property registry', () => {
  it('each property sits at its id, with a unique name, and all fit the findings buffer', () => {
    PROPERTIES.forEach((p, i) => expect(p.id, p.name).toBe(i));
    expect(new Set(PROPERTIES.map((p) => p.name)).size).toBe(PROPERTIES.length);
    expect(PROPERTIES.length).toBeLessThanOrEqual(MAX_PROPERTIES);
    expect(Object.keys(SAMPLES).sort()).toEqual(PROPERTIES.map((p) => p.name).sort());
  });

  for (const p of PROPERTIES) {
    it(`${p.name}: every recorded shape decodes to declared fields only, and reads as a sentence with no undefined or NaN`, () => {
      for (const [a, b, c] of SAMPLES[p.name]!) {
        const details = p.details(a, b, c, ctx);
        for (const [key, value] of Object.entries(details)) {
          expect(Object.keys(p.fields), `${p.name} (${a}, ${b}, ${c})`).toContain(key);
          if (typeof value === 'number') expect(value, `${p.name}.${key}`).toBeGreaterThanOrEqual(0);
        }
        const sentence = p.describe(details, { cache: 1, gpa: 4096, gfn: 1, pfn: 7 });
        expect(sentence.length).toBeGreaterThan(10);
        expect(sentence).not.toMatch(/undefined|NaN/);
      }
    });
  }
});

describe('property details', () => {
  it('stale-entry: the generations and the host virtual page used are named (the register is the finding\'s cache)', () => {
    const staleEntry = PROPERTIES.find((p) => p.name === 'stale-entry')!;
    expect(staleEntry.details(3, 4, 53, ctx)).toEqual({ uhvaPage: 53, hwGeneration: 3, entryGeneration: 4 });
    expect(staleEntry.describe({ uhvaPage: 53, hwGeneration: 3, entryGeneration: 4 }, { cache: 5 })).toMatch(/gpc 5 translated through host virtual page 53 at memslot generation 3, but generation 4/);
  });

  it('free-while-in-guest: the vCPU and the guest-uses register that held the page', () => {
    const free = PROPERTIES.find((p) => p.name === 'free-while-in-guest')!;
    expect(free.details(1, 0, 0, ctx)).toEqual({ vcpu: 1, register: 0 });
    expect(free.describe({ vcpu: 1, register: 0 }, { cache: 5, pfn: 40 })).toMatch(/freed pfn 40 while vcpu-1 .* guest-uses register 0 \(the pfn of gpc 5\)/);
  });

  it('stale-pte: a pte that maps nothing is an absent mappedPfn, said as "nothing"', () => {
    const stalePte = PROPERTIES.find((p) => p.name === 'stale-pte')!;
    const details = stalePte.details(-1, 5, 0, ctx);
    expect(details.mappedPfn).toBeUndefined();
    expect(stalePte.describe({ uhvaPage: 5 }, { pfn: 7 })).toContain('maps nothing');
  });

  it('lock-sanity: a lockdep finding carries the message it indexes', () => {
    const lockSanity = PROPERTIES.find((p) => p.name === 'lock-sanity')!;
    const details = lockSanity.details(0, 0, 11, ctx);
    expect(details).toEqual({ check: 'lockdep', message: ctx.messages[0] });
    expect(lockSanity.describe(details, {})).toBe(`lockdep: ${ctx.messages[0]}`);
  });
});
