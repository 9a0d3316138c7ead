import { describe, expect, it } from 'vitest';
import { guestLayout } from '../../src/kvm/guest-layout.js';
import {
  createRegisterFileBuffer,
  loadRegister,
  openGuestRegisters,
  publishRegisters,
  registerPfn,
  registerStride,
  sharedRegisterPfn,
} from '../../src/kvm/guest-registers.js';

describe('the guest-uses register file', () => {
  it('a vCPU\'s registers hold its own guest-uses caches, start empty, and publish to the shared copy', () => {
    const { caches } = guestLayout(2, 4096);
    const gr = openGuestRegisters(caches, 1);
    expect(gr.count).toBe(2);
    expect(Array.from(gr.cache)).toEqual([5, 6]);
    expect(Array.from(gr.gfn)).toEqual([caches.caches[5]!.gfn, caches.caches[6]!.gfn]);
    expect(registerPfn(gr, 0)).toBe(-1);
    const stride = registerStride(caches.registersPerVcpu);
    expect(stride % 16).toBe(0);
    const file = new Int32Array(createRegisterFileBuffer(2, caches.registersPerVcpu));
    expect(sharedRegisterPfn(file, stride, 1, 1)).toBe(-1);
    loadRegister(gr, 0, 40, 3, 7, 11);
    loadRegister(gr, 1, 41, 5, 6, 12);
    publishRegisters(file, stride, gr);
    expect(sharedRegisterPfn(file, stride, 1, 0)).toBe(40);
    expect(sharedRegisterPfn(file, stride, 1, 1)).toBe(41);
    expect(sharedRegisterPfn(file, stride, 0, 0)).toBe(-1);
    // The generation strategy's snapshot is the oldest translation among the registers.
    expect(gr.generation).toBe(6);
  });
});
