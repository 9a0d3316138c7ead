import { describe, expect, it } from 'vitest';
import { protocolNames, registerProtocol } from '../../src/kvm/protocols/registry.js';
import { MAINLINE } from '../../src/kvm/protocols/mainline.js';
import { invalidVariantMetadata, resolveVerdictsConfig, selectVariants, shardVariants, VERDICTS_DEFAULTS } from '../../src/verdicts/verdicts-config.js';
import { UsageError } from '../../src/util/usage-error.js';

describe('gpc-lab verdicts options', () => {
  it('by default every registered variant is chosen, mainline first, with the default budget and seed', () => {
    const config = resolveVerdictsConfig({});
    expect(selectVariants(config).map((v) => v.name)).toEqual(protocolNames());
    expect(selectVariants(config)[0]!.name).toBe('mainline');
    expect(config.budgetS).toBe(VERDICTS_DEFAULTS.budgetS);
    expect(config.seed).toBe(VERDICTS_DEFAULTS.seed);
    expect(config.overrides).toEqual({});
  });

  it('--shard i/n takes the variants at list index % n == i - 1, and the shards together take each once', () => {
    const chosen = selectVariants(resolveVerdictsConfig({}));
    const shards = [1, 2, 3].map((i) => shardVariants(resolveVerdictsConfig({ shard: `${i}/3` }), chosen).map((v) => v.name));
    expect(shards.flat().sort()).toEqual(chosen.map((v) => v.name).sort());
    expect(shards[0]![0]).toBe(chosen[0]!.name);
  });

  it('an unknown variant name is a usage error naming the known ones, once the modules are loaded (selectVariants)', () => {
    const config = resolveVerdictsConfig({ protocol: 'nope' });
    expect(() => selectVariants(config)).toThrow(UsageError);
    expect(() => selectVariants(config)).toThrow(/--protocol must be one or more of mainline.*got 'nope'/);
  });

  it('stress overrides are checked as stress checks them, and --budget as every duration is', () => {
    expect(() => resolveVerdictsConfig({ xenAttach: 'nowhere' })).toThrow(/--xen-attach must be one of/);
    expect(() => resolveVerdictsConfig({ budget: '0' })).toThrow(/--budget must be a number of seconds > 0/);
    expect(resolveVerdictsConfig({ budget: '2m' }).budgetS).toBe(120);
  });

  it('a variant whose metadata names a workload, strategy or catalog switch nobody knows is a usage error naming it, before any run', () => {
    const base = { summary: 'test: bad metadata', source: 'test', steps: {}, stepSources: {} };
    expect(invalidVariantMetadata(MAINLINE)).toBeNull();
    expect(invalidVariantMetadata({ ...base, name: 'a', workloads: ['steal', 'nope'] })).toMatch(/names workload 'nope' \(workloads: .*steal/);
    expect(invalidVariantMetadata({ ...base, name: 'b', defaultStrategy: 'fastest' })).toMatch(/names default strategy 'fastest' \(strategies: locked/);
    expect(invalidVariantMetadata({ ...base, name: 'c', inapplicableBugs: { 'no-such-switch': 'why' } })).toMatch(/declares 'no-such-switch' inapplicable, which is no catalog entry/);
    expect(invalidVariantMetadata({ ...base, name: 'd', workloads: ['xen'], defaultStrategy: 'generation', inapplicableBugs: { 'refresh-skips-retry': 'why' } })).toBeNull();
    registerProtocol({ ...base, name: 'test-bad-workload', workloads: ['nope'] });
    expect(() => selectVariants(resolveVerdictsConfig({ protocol: 'test-bad-workload' }))).toThrow(UsageError);
  });
});
