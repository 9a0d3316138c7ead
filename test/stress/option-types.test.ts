/**
 * The library's option types: unions of the allowed values, the test hooks outside the public
 * type. The @ts-expect-error lines are checked by `npm run typecheck` (which covers test/): each
 * must be a type error, or the typecheck fails.
 */
import { describe, expect, it } from 'vitest';
import type { StressOptions } from '../../src/index.js';
import { resolveStressConfig } from '../../src/stress/stress-config.js';

describe('stress options as a library caller types them', () => {
  it('accept the allowed values, and a strategy or protocol name a loaded module may add', () => {
    const ok: StressOptions = { strategy: 'generation', xenAttach: 'hva', invalidate: 'unrelated', oracles: 'off', retry: 'range', memslotOps: ['move', 'flags-only'] };
    const custom: StressOptions = { strategy: 'my-module-strategy', protocol: 'my-variant' };
    expect(resolveStressConfig(ok).strategy).toBe('generation');
    expect(custom.strategy).toBe('my-module-strategy');
  });

  it('reject a value no registry can hold, and the test hooks', () => {
    // @ts-expect-error: not an attachment mode
    const badAttach: StressOptions = { xenAttach: 'both' };
    // @ts-expect-error: not a notifier target set
    const badTargets: StressOptions = { invalidate: 'everything' };
    // @ts-expect-error: --crash-after is a test hook, not a public option
    const hook: StressOptions = { crashAfter: 5 };
    expect([badAttach, badTargets, hook]).toHaveLength(3);
  });
});
