/**
 * The registry of oracle properties (DESIGN 6): one line per property module. A finding names one
 * of them; the report lists, per property, how many checks were made and how many findings.
 *
 * To add a property: write src/oracle/properties/<name>.ts (its id = the next index here, name,
 * kind, description, fills, fields, details, describe, and its check function, which calls
 * `countCheck` and `finding` from src/kvm/model-context.ts), and add its line below. Its check must
 * be called from the protocol point it watches: a point that already runs oracles
 * (src/oracle/access-oracles.ts: host access through khva, refresh start, guest steps, vmentry;
 * the mm's free; the end of the run in src/stress/end-of-run.ts) takes one more call there; a
 * point with no hook yet needs that call added in its src/kvm file too. At most MAX_PROPERTIES.
 */
import { MAX_PROPERTIES, type PropertySpec } from '../trace/property.js';
import { events } from './properties/events.js';
import { freeWhileInGuest } from './properties/free-while-in-guest.js';
import { leaks } from './properties/leaks.js';
import { livelock } from './properties/livelock.js';
import { lockSanity } from './properties/lock-sanity.js';
import { lostWrite } from './properties/lost-write.js';
import { records } from './properties/records.js';
import { stall } from './properties/stall.js';
import { staleEntry } from './properties/stale-entry.js';
import { staleGeneration } from './properties/stale-generation.js';
import { stalePte } from './properties/stale-pte.js';
import { stateInvariant } from './properties/state-invariant.js';
import { uafGuestMode } from './properties/uaf-guest-mode.js';
import { uafKhva } from './properties/uaf-khva.js';
import { wrongPage } from './properties/wrong-page.js';
import { injectedRace } from './properties/injected-race.js';

/** Every property, in id order (PROPERTIES[p].id === p). */
export const PROPERTIES: readonly PropertySpec[] = [
  uafKhva,
  uafGuestMode,
  freeWhileInGuest,
  stalePte,
  staleGeneration,
  staleEntry,
  wrongPage,
  stateInvariant,
  events,
  records,
  lockSanity,
  leaks,
  stall,
  livelock,
  lostWrite,
  injectedRace,
];

PROPERTIES.forEach((p, i) => {
  if (p.id !== i) throw new Error(`property ${p.name} has id ${p.id} but is registered at ${i}`);
});
if (PROPERTIES.length > MAX_PROPERTIES) throw new Error(`${PROPERTIES.length} properties, room for ${MAX_PROPERTIES} (src/trace/property.ts)`);

export const PROPERTY_COUNT = PROPERTIES.length;
