/**
 * The protocol variants `--protocol NAME` selects. A new variant is one new file in this folder
 * plus one line in shipped-variants.ts. The index in PROTOCOLS (then in the run's extras) is the id
 * the VM configuration stores (VM_PROTOCOL, src/kvm/vm-layout.ts); every thread resolves it once,
 * when it opens its model context (`ctx.protocol`). Ids are positions in this process's list, not
 * stable names: they never leave a run.
 *
 * Nothing here reads a variant while the module is evaluated: the variants' steps import the
 * model (gpc.ts, ...), which imports model-context.ts, which imports this file, so whichever
 * module of that cycle loads first, the lists are built on first use (shippedProtocols).
 *
 * Runtime extras (`--protocol-module FILE`, StressOptions.protocolModules): modules whose default
 * export is a ProtocolVariant. The main thread and every model thread load the run's modules in
 * the same order before opening their contexts (useProtocolModules), so ids agree everywhere.
 * Cold path throughout: the hot path only ever sees the resolved ProtocolSteps.
 */
import { UsageError } from '../../util/usage-error.js';
import { MAINLINE } from './mainline.js';
import { PROTOCOL_STEP_NAMES, WIRED_STEP_NAMES, type ProtocolSteps, type ProtocolVariant } from './protocol-variant.js';
import * as SHIPPED from './shipped-variants.js';

/** The default variant's name (id 0). */
export const DEFAULT_PROTOCOL = 'mainline';

let shipped: readonly ProtocolVariant[] | null = null;

/** The shipped variants, in id order: mainline first (id 0, the default), then by name. */
export function shippedProtocols(): readonly ProtocolVariant[] {
  shipped ??= [MAINLINE, ...(Object.values(SHIPPED) as ProtocolVariant[]).filter((v) => v !== MAINLINE).sort((a, b) => (a.name < b.name ? -1 : 1))];
  return shipped;
}

/** Variants registered at run time (ids shippedProtocols().length + i). */
const extras: ProtocolVariant[] = [];
/** Resolved steps per variant: every context of a thread shares one object (one shape: monomorphic call sites). */
const resolved = new WeakMap<ProtocolVariant, ProtocolSteps>();

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

function allProtocols(): readonly ProtocolVariant[] {
  return extras.length === 0 ? shippedProtocols() : [...shippedProtocols(), ...extras];
}

/** Every known name, shipped ones first. */
export function protocolNames(): string[] {
  return allProtocols().map((p) => p.name);
}

export function findProtocol(name: string): ProtocolVariant | undefined {
  return allProtocols().find((p) => p.name === name);
}

/** The id of a known name (the VM_PROTOCOL value), or -1. */
export function protocolId(name: string): number {
  return allProtocols().findIndex((p) => p.name === name);
}

/** The variant of id `id`; throws for an id this thread does not know (its modules were not loaded). */
export function protocolById(id: number): ProtocolVariant {
  const variant = allProtocols()[id];
  if (!variant) throw new Error(`protocol id ${id} is not known in this thread (known: ${protocolNames().join(', ')}): were the run's protocol modules loaded?`);
  return variant;
}

/** `--protocol NAME` -> the variant, or a UsageError that lists the known names. */
export function parseProtocolOption(flag: string, name: string): ProtocolVariant {
  const variant = findProtocol(name);
  if (!variant) throw new UsageError(`${flag} must be one of ${protocolNames().join(', ')}, got '${name}'`);
  return variant;
}

/** Why `variant` cannot be registered, or null. */
function invalidVariant(variant: ProtocolVariant): string | null {
  if (typeof variant !== 'object' || variant === null) return 'it is not an object';
  if (typeof variant.name !== 'string' || !NAME.test(variant.name)) return `its name must be 1-40 of [a-z0-9-], got '${String(variant.name)}'`;
  if (typeof variant.summary !== 'string' || variant.summary.length === 0 || variant.summary.includes('\n')) return 'its summary must be one non-empty line';
  if (typeof variant.source !== 'string' || variant.source.length === 0) return 'it must name its source (commit, message id)';
  if (typeof variant.steps !== 'object' || variant.steps === null) return 'it has no steps object';
  for (const key of Object.keys(variant.steps)) {
    if (!(PROTOCOL_STEP_NAMES as readonly string[]).includes(key)) return `'${key}' is not a protocol step (steps: ${PROTOCOL_STEP_NAMES.join(', ')})`;
    if (typeof (variant.steps as Record<string, unknown>)[key] !== 'function') return `step '${key}' is not a function`;
    const source = (variant.stepSources as Record<string, unknown> | undefined)?.[key];
    if (typeof source !== 'string' || source.length === 0) return `step '${key}' has no source in stepSources`;
  }
  return null;
}

/**
 * Adds a variant at run time and returns its id (shippedProtocols().length + i). Registering the same object again returns its
 * id; another variant with a known name is an error. On its own this reaches only this thread (a
 * single-threaded VM built with buildVm); a stress run loads modules in every thread instead.
 */
export function registerProtocol(variant: ProtocolVariant): number {
  const known = allProtocols().indexOf(variant);
  if (known >= 0) return known;
  const problem = invalidVariant(variant);
  if (problem) throw new UsageError(`protocol variant '${String((variant as { name?: unknown })?.name)}' cannot be registered: ${problem}`);
  if (findProtocol(variant.name)) throw new UsageError(`protocol variant '${variant.name}' is already registered (known: ${protocolNames().join(', ')})`);
  extras.push(variant);
  return shippedProtocols().length + extras.length - 1;
}

/**
 * Loads a run's protocol modules (file URLs), in order, and makes their default exports the
 * registry's extras (replacing earlier ones), so their ids are the same in every thread that loads
 * the same list. An empty list leaves the registry as it is. Each module's default export must be
 * a ProtocolVariant.
 */
export async function useProtocolModules(urls: readonly string[]): Promise<void> {
  if (urls.length === 0) return;
  const variants: ProtocolVariant[] = [];
  for (const url of urls) {
    const mod = (await import(url)) as { default?: ProtocolVariant };
    if (mod.default === undefined) throw new UsageError(`protocol module ${url} has no default export (it must export default a protocol variant)`);
    variants.push(mod.default);
  }
  extras.length = 0;
  for (const variant of variants) registerProtocol(variant);
}

/** The variant's steps, every step it does not replace taken from mainline. */
export function resolveProtocol(variant: ProtocolVariant): ProtocolSteps {
  let steps = resolved.get(variant);
  if (!steps) {
    const base = MAINLINE.steps as ProtocolSteps;
    steps = {
      retryPredicate: variant.steps.retryPredicate ?? base.retryPredicate,
      invalidationHook: variant.steps.invalidationHook ?? base.invalidationHook,
      check: variant.steps.check ?? base.check,
      resolvePfn: variant.steps.resolvePfn ?? base.resolvePfn,
      evictionRequest: variant.steps.evictionRequest ?? base.evictionRequest,
      memslotUpdate: variant.steps.memslotUpdate ?? base.memslotUpdate,
      irqReadLock: variant.steps.irqReadLock ?? base.irqReadLock,
      ...(variant.steps.entryCheck ? { entryCheck: variant.steps.entryCheck } : {}),
      ...(variant.steps.gpcInvalidateRequest ? { gpcInvalidateRequest: variant.steps.gpcInvalidateRequest } : {}),
      ...(variant.steps.nestedHostAccess ? { nestedHostAccess: variant.steps.nestedHostAccess } : {}),
      ...(variant.steps.nestedVmexit ? { nestedVmexit: variant.steps.nestedVmexit } : {}),
      ...(variant.steps.rangeStartLocked ? { rangeStartLocked: variant.steps.rangeStartLocked } : {}),
      ...(variant.steps.invalidationHookAtEnd ? { invalidationHookAtEnd: variant.steps.invalidationHookAtEnd } : {}),
      ...(variant.steps.countZeroWake ? { countZeroWake: variant.steps.countZeroWake } : {}),
      ...(variant.steps.retryBeforeUnlock ? { retryBeforeUnlock: variant.steps.retryBeforeUnlock } : {}),
      ...(variant.steps.retryBeforeRelock ? { retryBeforeRelock: variant.steps.retryBeforeRelock } : {}),
    };
    for (const name of WIRED_STEP_NAMES) {
      if (typeof steps[name] !== 'function') throw new Error(`protocol ${variant.name}: step ${name} resolved to ${typeof steps[name]} (a module cycle evaluated mainline.ts too early?)`);
    }
    resolved.set(variant, steps);
  }
  return steps;
}
