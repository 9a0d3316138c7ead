/**
 * Which step of a variant allowed a finding: the replaced steps whose trace steps are among the
 * finding's racing steps (the events on its cache, page or gfn). Single-threaded: the finding is
 * one a stress report could hold, written out here, so that each branch is seen to decide.
 */
import { describe, expect, it } from 'vitest';
import { B17_TRYLOCK } from '../../src/kvm/protocols/b17-trylock.js';
import { RANGE_RETRY } from '../../src/kvm/protocols/range-retry.js';
import { MAINLINE } from '../../src/kvm/protocols/mainline.js';
import type { InterleavingEvent, StressFinding } from '../../src/stress/stress-report.js';
import { allowedByLine, allowingSteps } from '../../src/verdicts/allowing-step.js';
import { splitRacingSteps } from '../../src/verdicts/racing-steps.js';
import { decides } from '../../src/verdicts/step-traces.js';

function ev(order: number, thread: string, step: string, cache?: number, pfn?: number): InterleavingEvent {
  return { order, thread, step, ...(cache !== undefined ? { cache } : {}), ...(pfn !== undefined ? { pfn } : {}), seq: 0, count: 0, generation: 0, args: {} };
}

/** A use-after-free on gpc 0: a refresh installed pfn 41 that the notifier then freed; gpc 2's steps are context. */
const FINDING: StressFinding = {
  property: 'uaf-khva',
  thread: 'evtchn',
  cache: 'gpc 0 (shared_info)',
  pfn: 41,
  details: {},
  message: 'khva of a freed page',
  interleaving: [
    ev(1, 'evtchn', 'refresh-start', 0),
    ev(2, 'vcpu-1', 'refresh-start', 2),
    ev(3, 'evtchn', 'refresh-faulted-in', 0, 41),
    ev(4, 'notifier', 'invalidate-end(no memslot: count-- only)'),
    ev(5, 'evtchn', 'refresh-install(valid=1)', 0, 41),
    ev(6, 'evtchn', 'page-free', 0, 41),
    ev(7, 'evtchn', 'FINDING', 0, 41),
  ],
  rerun: 'npx gpc-lab stress',
};

describe('the racing steps of a finding', () => {
  it('are the events on its cache or page, ending with the FINDING; the rest is context', () => {
    const { racing, context } = splitRacingSteps(FINDING);
    expect(racing.map((e) => e.order)).toEqual([1, 3, 5, 6, 7]);
    expect(context.map((e) => e.order)).toEqual([2, 4]);
  });

  it('are all of its steps when the finding names no cache, page or gfn (a stall)', () => {
    const { racing, context } = splitRacingSteps({ ...FINDING, cache: undefined, pfn: undefined } as StressFinding);
    expect(racing).toHaveLength(7);
    expect(context).toEqual([]);
  });
});

describe('the variant step that allowed a finding', () => {
  it('is the replaced retry predicate when a refresh install races, with its function, module and patch line', () => {
    const { racing } = splitRacingSteps(FINDING);
    const steps = allowingSteps(RANGE_RETRY, 'src/kvm/protocols/range-retry.ts', racing);
    expect(steps).toEqual([
      { step: 'retryPredicate', patch: RANGE_RETRY.stepSources.retryPredicate, function: 'rangeAwareRetryCache', module: 'src/kvm/protocols/range-retry.ts', tracedBy: ['refresh-install(valid=1)'] },
    ]);
    expect(allowedByLine(RANGE_RETRY, steps, null)).toContain('Zw8DINUkJJKDByXE@google.com');
  });

  it('leads with mainline\'s candidate upstream bug when the racing steps show its mechanism, then names the replaced step', () => {
    const s1 = { ...FINDING, interleaving: [...FINDING.interleaving.slice(0, 4), ev(5, 'evtchn', 'refresh-install-after-invalidation-in-window(no seq moved)', 0, 41), ...FINDING.interleaving.slice(4)] };
    const steps = allowingSteps(RANGE_RETRY, 'src/kvm/protocols/range-retry.ts', splitRacingSteps(s1).racing);
    expect(steps.map((s) => s.step)).toEqual(['retryPredicate']);
    const line = allowedByLine(RANGE_RETRY, steps, 'S1 hva-seq-miss');
    expect(line).toMatch(/^mainline's candidate upstream bug S1 hva-seq-miss .*so mainline has the same exposure; the variant's replaced steps among them: retryPredicate \(rangeAwareRetryCache/);
  });

  it('is none when no racing step is one the variant replaces: the line says mainline\'s own steps raced', () => {
    const { racing } = splitRacingSteps(FINDING);
    const steps = allowingSteps(B17_TRYLOCK, 'src/kvm/protocols/b17-trylock.ts', racing);
    expect(steps).toEqual([]);
    expect(allowedByLine(B17_TRYLOCK, steps, null)).toContain("not traced to a step the variant replaces (irqReadLock): none of irqReadLock's trace steps is among the racing steps, so mainline's own steps raced");
  });

  it('says a replaced step with no line in step-traces.ts cannot be traced, instead of clearing it', () => {
    const added = { ...B17_TRYLOCK, name: 'test-added-step', steps: { ...B17_TRYLOCK.steps, nestedStateCheck: () => true }, stepSources: { ...B17_TRYLOCK.stepSources, nestedStateCheck: 'a step a variant added' } } as unknown as typeof B17_TRYLOCK;
    const line = allowedByLine(added, allowingSteps(added, 'x.ts', splitRacingSteps(FINDING).racing), null);
    expect(line).toContain('(irqReadLock, nestedStateCheck)');
    expect(line).toContain('nestedStateCheck has no line in src/verdicts/step-traces.ts, so it cannot be traced and may have allowed it');
    expect(line).not.toContain("mainline's own steps raced");
  });

  it('on mainline names the candidate upstream bug, or says it is none of them', () => {
    expect(allowedByLine(MAINLINE, [], 'S1 hva-seq-miss')).toContain('candidate upstream bug S1 hva-seq-miss');
    expect(allowedByLine(MAINLINE, [], null)).toContain('not one of its documented candidate upstream bugs');
    // Beside a guest-uses variant, mainline runs with that variant's strategy: its findings are the strategy's.
    expect(allowedByLine(MAINLINE, [], null, 'lockless')).toContain("mainline's code with --strategy lockless");
    expect(allowedByLine(MAINLINE, [], null, 'lockless')).not.toContain('a model error');
  });

  it('matches a trace step by its name or its name with arguments, not by a longer name', () => {
    expect(decides('retryPredicate', 'refresh-install(valid=1)')).toBe(true);
    expect(decides('retryPredicate', 'refresh-install-after-invalidation-in-window(no seq moved)')).toBe(true);
    expect(decides('resolvePfn', 'refresh-faulted-in')).toBe(true);
    expect(decides('resolvePfn', 'refresh-install(valid=1)')).toBe(false);
    expect(decides('a-step-no-table-knows', 'refresh-start')).toBe(false);
  });
});
