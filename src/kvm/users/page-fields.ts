/**
 * Where the users' data sits in their guest pages (Int32 slot offsets inside the page).
 *
 *   shared_info     slot p: pending events of port p (port p -> vCPU p); a counter, not a bit, so
 *                   "seen exactly once" can be checked by conservation
 *   steal time      VERSION (odd while being written) | STEAL
 *   virtual APIC    IRR (interrupts delivered by the hardware, not yet taken by the guest) | HW_TICK
 *   PI descriptor   PIR (interrupts posted, not yet processed by the hardware)
 */
export const STEAL_VERSION = 0;
export const STEAL_VALUE = 1;
export const STEAL_RECORD_BYTES = 8;
export const VAPIC_IRR = 0;
export const VAPIC_HW_TICK = 1;
export const PI_PIR = 0;
