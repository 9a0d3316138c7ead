import { describe, expect, it } from 'vitest';
import { createVcpuTableBuffer, MODE_EXITING, MODE_IN, MODE_MASK, MODE_OUTSIDE, REQ_EVENT, V_MODE } from '../../src/kvm/vcpu-layout.js';
import {
  enterGuestMode,
  exitGuestMode,
  kickVcpu,
  kickVcpuForWait,
  makeRequest,
  pendingRequests,
  stillInGuestMode,
  takeRequests,
  waitForSessionEnd,
} from '../../src/kvm/vcpu-kick.js';

describe('vCPU mode handshake and kicks', () => {
  it('a kick of a vCPU outside guest mode needs no IPI and nothing to wait for', () => {
    const vcpus = new Int32Array(createVcpuTableBuffer(1));
    expect(kickVcpu(vcpus, 0)).toBe(false);
    expect(kickVcpuForWait(vcpus, 0)).toBe(-1);
  });

  it('a kick of a vCPU in guest mode makes it EXITING; its exit ends the session and reports the kick', () => {
    const vcpus = new Int32Array(createVcpuTableBuffer(1));
    enterGuestMode(vcpus, 0, 7);
    expect(stillInGuestMode(vcpus, 0)).toBe(true);
    const w = kickVcpuForWait(vcpus, 0);
    expect(w & MODE_MASK).toBe(MODE_EXITING);
    expect(stillInGuestMode(vcpus, 0)).toBe(false);
    expect(exitGuestMode(vcpus, 0, 7)).toBe(true);
    expect(vcpus[V_MODE]! & MODE_MASK).toBe(MODE_OUTSIDE);
    expect(waitForSessionEnd(vcpus, 0, w, 1)).toBe(0);
  });

  it('a waiter for one session is not fooled by the vCPU re-entering: the session number changed', () => {
    const vcpus = new Int32Array(createVcpuTableBuffer(1));
    enterGuestMode(vcpus, 0, 1);
    const w = kickVcpuForWait(vcpus, 0);
    exitGuestMode(vcpus, 0, 1);
    enterGuestMode(vcpus, 0, 2);
    expect(vcpus[V_MODE]! & MODE_MASK).toBe(MODE_IN);
    expect(waitForSessionEnd(vcpus, 0, w, 1)).toBe(0);
  });

  it('requests set before IN_GUEST_MODE are seen by the vCPU after it publishes the mode', () => {
    const vcpus = new Int32Array(createVcpuTableBuffer(1));
    makeRequest(vcpus, 0, REQ_EVENT);
    enterGuestMode(vcpus, 0, 0);
    expect(pendingRequests(vcpus, 0)).toBe(REQ_EVENT);
    expect(takeRequests(vcpus, 0)).toBe(REQ_EVENT);
    expect(pendingRequests(vcpus, 0)).toBe(0);
  });
});
