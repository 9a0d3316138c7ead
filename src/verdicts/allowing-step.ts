/**
 * The step of a variant that allowed a finding: each step the variant replaces (its stepSources
 * line is the patch it models) whose trace steps (step-traces.ts) show among the finding's racing
 * steps. A finding none of whose racing steps is a replaced step's is mainline's own steps racing:
 * the report says so rather than blaming the variant. Cold path (report building only).
 */
import { STRESS_DEFAULTS } from '../stress/stress-config.js';
import type { InterleavingEvent } from '../stress/stress-report.js';
import type { ProtocolStepName, ProtocolVariant } from '../kvm/protocols/protocol-variant.js';
import type { AllowingStep } from './verdicts-report.js';
import { decides, traceStepsOf } from './step-traces.js';

/** The steps `variant` replaces, in its own order, with their patch lines. */
export function replacedSteps(variant: ProtocolVariant): { step: string; patch: string }[] {
  return Object.keys(variant.steps)
    .filter((s) => typeof (variant.steps as Record<string, unknown>)[s] === 'function')
    .map((step) => ({ step, patch: variant.stepSources[step as ProtocolStepName] ?? '' }));
}

function functionName(variant: ProtocolVariant, step: string): string {
  const fn = (variant.steps as Record<string, unknown>)[step];
  return typeof fn === 'function' && fn.name !== '' ? fn.name : '(anonymous)';
}

/** The replaced steps of `variant` that decided some of `racing`; `module` is where the variant's steps live. */
export function allowingSteps(variant: ProtocolVariant, module: string, racing: readonly InterleavingEvent[]): AllowingStep[] {
  const out: AllowingStep[] = [];
  for (const { step, patch } of replacedSteps(variant)) {
    const tracedBy = [...new Set(racing.filter((e) => e.step !== 'FINDING' && decides(step, e.step)).map((e) => e.step))];
    if (tracedBy.length > 0) out.push({ step, patch, function: functionName(variant, step), module, tracedBy });
  }
  return out;
}

/** The one line a finding's row carries: which step of the variant allowed it. */
export function allowedByLine(variant: ProtocolVariant, steps: readonly AllowingStep[], candidateBug: string | null, strategy: string = STRESS_DEFAULTS.strategy): string {
  if (variant.name === 'mainline') {
    if (candidateBug !== null) return `mainline's own code: candidate upstream bug ${candidateBug} (docs/VERDICTS.md)`;
    // Mainline has no guest-uses caches: a run beside a variant with that variant's entry strategy
    // judges the strategy on mainline's code, not mainline (the exit code counts only --strategy locked runs).
    if (strategy !== STRESS_DEFAULTS.strategy) return `mainline's code with --strategy ${strategy} (the guest-uses entry check of the variant beside it; upstream has none): that strategy's own finding on these workloads, not counted against mainline (only its --strategy ${STRESS_DEFAULTS.strategy} runs are)`;
    return "mainline's own code, and not one of its documented candidate upstream bugs: a model error or a new candidate (write it up in docs/VERDICTS.md)";
  }
  if (steps.length === 0) {
    const replaced = replacedSteps(variant).map((s) => s.step);
    // A step with no line in step-traces.ts (one a variant added to ProtocolSteps) cannot be traced: say so rather than clear it.
    const untraceable = replaced.filter((s) => traceStepsOf(s).length === 0);
    const traceable = replaced.filter((s) => traceStepsOf(s).length > 0);
    const unknown = untraceable.length > 0 ? `; ${untraceable.join(', ')} ${untraceable.length === 1 ? 'has' : 'have'} no line in src/verdicts/step-traces.ts, so ${untraceable.length === 1 ? 'it' : 'they'} cannot be traced and may have allowed it` : '';
    const cleared = traceable.length > 0 ? `none of ${traceable.join(', ')}'s trace steps is among the racing steps` : 'the variant replaces no traceable step';
    return `not traced to a step the variant replaces (${replaced.join(', ') || 'none'}): ${cleared}${untraceable.length === 0 ? ", so mainline's own steps raced (compare mainline's run beside it)" : ''}${unknown}${candidateBug !== null ? `; it shows candidate upstream bug ${candidateBug}` : ''}`;
  }
  const named = steps.map((s) => `${s.step} (${s.function}, ${s.module}; racing as ${s.tracedBy.join(', ')}): ${s.patch}`).join('; ');
  // A finding whose racing steps show mainline's own candidate bug: mainline has the same exposure;
  // the replaced steps among the racing steps are named after it, as the variant's part in it.
  return candidateBug !== null ? `mainline's candidate upstream bug ${candidateBug} (docs/VERDICTS.md): its mechanism is among the racing steps, so mainline has the same exposure; the variant's replaced steps among them: ${named}` : named;
}
