/**
 * `gpc-lab verdicts`: for each chosen variant, one stress run of `budgetS` with the workloads the
 * variant touches and its authors' entry strategy, and mainline beside it with the same workloads,
 * strategy and budget (one mainline run per distinct workload set and strategy, with the seed of
 * the first variant that needs it). Findings are
 * the product: every run that ran gives exit 0, except a mainline finding none of mainline's
 * documented candidate upstream bugs explains (exit 1). Mainline's row runs mainline as merged
 * (no fix switch on): its candidate bugs may show, and are named.
 *
 * Runs are in-process and one at a time (runStress), each bounded and returning only once its
 * worker threads have exited; Ctrl-C (`stop`) ends the run in progress and the report is partial.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonEnvelope } from '../util/json-envelope.js';
import { packageRoot } from '../util/package-info.js';
import { EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERRUPTED } from '../util/exit-codes.js';
import { describeEnvironment } from '../harness/environment.js';
import { resolveStressConfig, STRESS_DEFAULTS, WORKLOAD_NAMES, type StressOptions } from '../stress/stress-config.js';
import { stressForVerdicts, VerdictsInterrupted } from './stress-for-verdicts.js';
import { MAINLINE } from '../kvm/protocols/mainline.js';
import { protocolId, shippedProtocols, useProtocolModules } from '../kvm/protocols/registry.js';
import type { ProtocolVariant } from '../kvm/protocols/protocol-variant.js';
import { isShipped, selectVariants, shardVariants, type VerdictsConfig } from './verdicts-config.js';
import { grouped, verdictRun } from './verdict-run.js';
import { replacedSteps } from './allowing-step.js';
import { unexplainedMainlineFindings } from './mainline-findings.js';
import { catalogApplicability } from './catalog-applicability.js';
import type { UnexplainedMainlineFinding, VariantVerdict, VerdictRun, VerdictsReport } from './verdicts-report.js';

export interface VerdictsRunOptions {
  /** One line per finished run (progress); default: nothing. */
  readonly notice?: (line: string) => void;
  /** Aborting it (Ctrl-C) stops the run in progress and the verdicts: the report is partial, exit 130. */
  readonly stop?: AbortSignal;
}

/** Where a variant's steps live: its file under src/kvm/protocols/, or its --protocol-module file. */
export function variantModule(variant: ProtocolVariant, protocolModules: readonly string[]): string {
  if (isShipped(variant)) {
    const file = `src/kvm/protocols/${variant.name}.ts`;
    return existsSync(join(packageRoot(), file)) ? file : 'src/kvm/protocols/ (see shipped-variants.ts)';
  }
  const url = protocolModules[protocolId(variant.name) - shippedProtocols().length];
  return url === undefined ? '(a --protocol-module file)' : fileURLToPath(url);
}

/** The workloads a variant's runs use: the --workload override, else the variant's own, else every workload. */
export function variantWorkloads(variant: ProtocolVariant, config: VerdictsConfig): string[] {
  if (config.overrides.workload !== undefined) return resolveStressConfig({ workload: config.overrides.workload, duration: 1, seed: 1 }).workload.slice();
  return variant.workloads !== undefined && variant.workloads.length > 0 ? [...variant.workloads] : [...WORKLOAD_NAMES];
}

function commandLine(config: VerdictsConfig): string {
  const parts = ['npx gpc-lab verdicts'];
  if (config.catalog) parts.push('--catalog');
  if (config.protocols.length > 0) parts.push(`--protocol ${config.protocols.join(',')}`);
  for (const m of config.protocolModules) parts.push(`--protocol-module ${fileURLToPath(m)}`);
  parts.push(`--budget ${config.budgetS}`, `--seed ${config.seed}`);
  if (config.shard.count > 1) parts.push(`--shard ${config.shard.index}/${config.shard.count}`);
  const o = config.overrides;
  if (o.vcpus !== undefined) parts.push(`--vcpus ${o.vcpus}`);
  if (o.workload !== undefined) parts.push(`--workload ${[o.workload].flat().join(',')}`);
  for (const b of [o.bug ?? []].flat()) parts.push(`--bug ${b}`);
  if (o.xenAttach !== undefined) parts.push(`--xen-attach ${o.xenAttach}`);
  if (o.invalRate !== undefined) parts.push(`--inval-rate ${o.invalRate}`);
  return parts.join(' ');
}

function summaryLine(run: VerdictRun, mainline: VerdictRun | null): string {
  const own =
    run.findingsTotal === 0
      ? `no finding in ${grouped(run.checks)} checks over ${run.seconds.toFixed(1)} s`
      : `${grouped(run.findingsTotal)} findings (${run.properties.filter((p) => p.findings > 0).map((p) => p.property).join(', ')})${run.firstFinding ? `, first ${run.firstFinding.property} after ${run.firstFinding.atS.toFixed(2)} s` : ''}, in ${grouped(run.checks)} checks over ${run.seconds.toFixed(1)} s`;
  if (mainline === null) return own;
  const beside = mainline.findingsTotal === 0 ? `no finding in ${grouped(mainline.checks)} checks over ${mainline.seconds.toFixed(1)} s` : `${grouped(mainline.findingsTotal)} findings (${mainline.properties.filter((p) => p.findings > 0).map((p) => p.property).join(', ')})`;
  return `${own}; mainline beside it: ${beside}`;
}

/** Runs the verdicts (every run bounded; no thread outlives its run). */
export async function runVerdicts(config: VerdictsConfig, options: VerdictsRunOptions = {}): Promise<VerdictsReport> {
  const notice = options.notice ?? (() => {});
  const stop = options.stop;
  const startedAt = performance.now();
  await useProtocolModules(config.protocolModules);
  const chosen = selectVariants(config);
  const variants = shardVariants(config, chosen);
  const results: VariantVerdict[] = [];
  const unexplained: UnexplainedMainlineFinding[] = [];
  const mainlineRuns = new Map<string, VerdictRun>();
  let interrupted = false;
  let catalog: VerdictsReport['catalog'];
  try {
    if (config.catalog) {
      catalog = await catalogApplicability(variants, config, notice, stop);
    } else {
      for (const variant of variants) {
        const index = chosen.indexOf(variant);
        const seed = (config.seed + 1000 * index) >>> 0;
        const workloads = variantWorkloads(variant, config);
        const strategy = variant.defaultStrategy ?? STRESS_DEFAULTS.strategy;
        const base: StressOptions = { ...config.overrides, workload: workloads, strategy, duration: config.budgetS, protocolModules: config.protocolModules };
        const module = variantModule(variant, config.protocolModules);
        const key = `${workloads.join(',')}|${strategy}`;
        const reused = variant.name === 'mainline' ? mainlineRuns.get(key) : undefined;
        let run: VerdictRun;
        if (reused !== undefined) {
          run = reused;
        } else {
          const report = await stressForVerdicts({ ...base, protocol: variant.name, seed }, stop);
          run = verdictRun(report, variant, module, workloads, strategy);
          if (variant.name === 'mainline') {
            mainlineRuns.set(key, run);
            if (strategy === STRESS_DEFAULTS.strategy) unexplained.push(...unexplainedMainlineFindings(report, workloads));
          }
        }
        notice(`${variant.name}: ${summaryLine(run, null)}`);
        let mainline: VerdictRun | null = null;
        if (variant.name !== 'mainline') {
          mainline = mainlineRuns.get(key) ?? null;
          if (mainline === null) {
            const beside = await stressForVerdicts({ ...base, protocol: 'mainline', seed }, stop);
            mainline = verdictRun(beside, MAINLINE, variantModule(MAINLINE, []), workloads, strategy);
            mainlineRuns.set(key, mainline);
            notice(`  mainline beside ${variant.name} (${workloads.join(',')}, --strategy ${strategy}): ${summaryLine(mainline, null)}`);
            if (strategy === STRESS_DEFAULTS.strategy) unexplained.push(...unexplainedMainlineFindings(beside, workloads));
          }
        }
        results.push({
          name: variant.name,
          summary: variant.summary,
          source: variant.source,
          module,
          replacedSteps: variant.name === 'mainline' ? [] : replacedSteps(variant),
          run,
          mainline,
          summaryLine: summaryLine(run, mainline),
        });
      }
    }
  } catch (error) {
    if (!(error instanceof VerdictsInterrupted)) throw error;
    interrupted = true;
  }
  const catalogMissed = catalog?.some((r) => r.outcome === 'not found') ?? false;
  const notes = [
    ...(interrupted ? [`Interrupted (Ctrl-C): partial report, the run in progress is left out.`] : []),
    'A variant with no finding has "no finding in N checks over T s": what the runs show, not that it is safe.',
    `Each variant runs with the workloads it touches and its authors' entry strategy (else --strategy ${STRESS_DEFAULTS.strategy}); mainline beside it has the same workloads, strategy and budget (one mainline run per distinct workload set and strategy, shared by the variants that have them: its seed is the first one's). No fix switch is on: mainline runs as merged, and its documented candidate upstream bugs (docs/VERDICTS.md) may show; they are named, and only a mainline finding none of them explains (judged on mainline runs with --strategy ${STRESS_DEFAULTS.strategy}) makes exit 1.`,
    'The variant step that allowed a finding: each replaced step whose trace steps (src/verdicts/step-traces.ts) are among the finding\'s racing steps (the events on its cache, page or gfn).',
    'Time to first finding is measured from the start barrier, for the run\'s first finding only (other properties: untimed).',
    ...(config.catalog ? [`--catalog: each campaign catalog switch under each variant, at most --budget per switch (stopping at the first finding), with the candidate-bug fixes on as the campaign has them; exit 1 if an applicable switch was not found.`] : []),
  ];
  const exitCode = interrupted ? EXIT_INTERRUPTED : unexplained.length > 0 || catalogMissed ? EXIT_FINDINGS : EXIT_CLEAN;
  return {
    ...jsonEnvelope('verdicts'),
    budgetS: config.budgetS,
    seed: config.seed,
    shard: `${config.shard.index}/${config.shard.count}`,
    selected: chosen.map((v) => v.name),
    environment: describeEnvironment() as unknown as Record<string, unknown>,
    rerun: commandLine(config),
    variants: results,
    unexplainedMainline: unexplained,
    ...(catalog !== undefined ? { catalog } : {}),
    wallS: (performance.now() - startedAt) / 1000,
    interrupted,
    exitCode,
    notes,
  };
}
