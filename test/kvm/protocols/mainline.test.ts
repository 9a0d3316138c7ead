// This file imports mainline.ts before anything else on purpose: mainline's steps import the model,
// the model's context imports the registry, and the registry must not need mainline while that
// cycle is still being evaluated (it builds its lists on first use).
import { MAINLINE } from '../../../src/kvm/protocols/mainline.js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTOCOL, resolveProtocol, shippedProtocols } from '../../../src/kvm/protocols/registry.js';
import { WIRED_STEP_NAMES } from '../../../src/kvm/protocols/protocol-variant.js';

describe('mainline, loaded before the model and the registry', () => {
  it('is id 0 and the default, and resolves to its own function for every wired step', () => {
    expect(shippedProtocols()[0]).toBe(MAINLINE);
    expect(MAINLINE.name).toBe(DEFAULT_PROTOCOL);
    const steps = resolveProtocol(MAINLINE);
    for (const step of WIRED_STEP_NAMES) {
      expect(typeof steps[step], step).toBe('function');
      expect(steps[step], step).toBe(MAINLINE.steps[step]);
    }
  });
});
