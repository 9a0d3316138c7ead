/**
 * `gpc-lab stress`: the gfn_to_pfn_cache model on real threads, with its oracles.
 * Exit: 0 clean, 1 findings (or a stall), 2 usage error, 3 internal error (a thread crashed), 130 Ctrl-C.
 */
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { checkOutputPath } from '../util/output-path.js';
import { perfettoTrace } from '../stress/perfetto-trace.js';
import { STRATEGY_NAMES } from '../kvm/strategies/registry.js';
import { BUG_SWITCHES } from '../kvm/bug-switches.js';
import { FIX_SWITCHES } from '../kvm/fix-switches.js';
import { DEFAULT_PROTOCOL, protocolNames } from '../kvm/protocols/registry.js';
import { STRESS_DEFAULTS, WORKLOAD_NAMES, resolveStressConfig, type StressOptions, type StressTestHooks } from '../stress/stress-config.js';
import { runStress, type RecordedSchedule } from '../stress/run-stress.js';
import { defaultSchedulePath, saveSchedule, scheduleFileOf } from '../stress/schedule-record.js';
import { formatStressReport } from '../stress/format-report.js';
import { LEGAL_MEMSLOT_OPS, MEMSLOT_OP_NAMES } from '../stress/control-plane.js';

const HELP_AFTER = `
Strategies (the vmentry check of the guest-uses caches):
  locked       per cache: read_lock, kvm_gpc_check, read_unlock (the seed's nested_vmx_check_guest_maps)
  generation   one compare of the memslot generation; invalidations arrive as requests (dwmw2's proposal)
  lockless     per cache: active && !valid, no lock, no generation (the 2025-26 nVMX series)
  none         no check (unsafe baseline)

Workloads (--workload, comma-separated; default all):
  steal        a steal-time record per vCPU (host-uses)
  xen          Xen shared_info + event channels: an evtchn thread and vCPU hypercalls, and a juggler
               thread that deactivates/re-activates/re-points the cache (xen_shinfo_test) and has
               the vCPUs re-register their vcpu_info at another offset of its page
  nested       a virtual-APIC page and posted-interrupt descriptor per vCPU (guest-uses)

Protocol variants (--protocol NAME; \`gpc-lab protocols\` gives each one's source and the steps it
replaces): ${protocolNames().join(', ')}. Bug switches combine with any of them.

Bug switches (--bug NAME, repeatable; \`gpc-lab bugs\` describes each): ${BUG_SWITCHES.map((b) => b.name).join(', ')}

Fix switches (--fix NAME, repeatable): would-be upstream fixes for candidate upstream bugs the model
found on mainline (docs/VERDICTS.md): ${FIX_SWITCHES.map((f) => `${f.name} (${f.fixes})`).join('; ')}

Exit codes: 0 clean, 1 findings (or a stall), 2 usage error, 3 internal error, 130 Ctrl-C (after the partial report).

Examples:
  gpc-lab stress --vcpus 4 --duration 60 --strategy locked
  gpc-lab stress --strategy none --duration 5           # findings within seconds
  gpc-lab stress --workload xen --xen-attach hva --fix hva-seq-miss   # HVA attachments, S1 fixed
  gpc-lab stress --vcpus 64 --duration 30 --json > report.json
  gpc-lab stress --workload steal --invalidate unrelated --inflight 2             # B20: refreshes livelock
  gpc-lab stress --workload steal --invalidate unrelated --inflight 2 --protocol range-retry   # ... and the cure
  gpc-lab stress --protocol-module ./my-variant.mjs --protocol my-variant   # a variant of your own
  gpc-lab stress --strategy-module ./my-check.mjs --strategy my-check      # an entry check of your own`;

interface StressCliOptions extends StressOptions, StressTestHooks {
  /** commander's keys for the repeatable --protocol-module and --strategy-module. */
  protocolModule?: string[];
  strategyModule?: string[];
  perfetto?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerStressCommand(program: Command): void {
  const d = STRESS_DEFAULTS;
  program
    .command('stress')
    .description('run the gfn_to_pfn_cache model on real threads with its oracles, and report what they saw')
    .option('--vcpus <n>', 'vCPU threads (1..256)', String(d.vcpus))
    .option('--duration <seconds>', 'how long to run: seconds (decimals allowed) or with a unit: 500ms, 30s, 2m', String(d.durationS))
    .option('--seed <n>', 'seed for every random choice (0..4294967295; default: random, printed)')
    .option('--strategy <name>', `vmentry check of the guest-uses caches: ${STRATEGY_NAMES.join(', ')} (default: the --protocol variant's own, else ${d.strategy})`)
    .option('--inval-rate <n>', 'MMU-notifier events per second (migrate, zap, write-protect)', String(d.invalRate))
    .option('--inflight <n>', 'invalidations in flight at once (1..8)', String(d.inflight))
    .option('--memslot-rate <n>', 'memslot updates per second (the --memslot-ops operations)', String(d.memslotRate))
    .option('--memslot-ops <list>', `memslot operations: ${MEMSLOT_OP_NAMES.join(',')} (default the legal ones: ${LEGAL_MEMSLOT_OPS.join(',')}; repoint-hva is illegal upstream, -EINVAL)`)
    .option('--juggle-rate <n>', 'shared_info deactivate/activate/re-point per second (every 4th also has a vCPU re-register its vcpu_info elsewhere in its page)', String(d.juggleRate))
    .option('--event-rate <n>', 'userspace event-channel sends per second', String(d.eventRate))
    .option('--workload <list>', `users that run: ${WORKLOAD_NAMES.join(',')} (default all)`)
    .option('--trace-depth <n>', 'flight-recorder events kept per thread (0 = off)', String(d.traceDepth))
    .option('--stall-timeout <seconds>', 'a thread without progress for this long is a stall', String(d.stallTimeoutS))
    .option('--oracles <on|off>', 'off: run without the oracles, to measure what they cost', 'on')
    .option('--bug <name>', 'turn on a deliberate protocol bug (repeatable)', collect)
    .option('--fix <name>', `turn on a would-be upstream fix for a candidate upstream bug (repeatable): ${FIX_SWITCHES.map((f) => f.name).join(', ')} (docs/VERDICTS.md)`, collect)
    .option('--xen-attach <gpa|hva|mixed>', 'how the VMM attaches Xen shared_info and vcpu_info: by GPA, by HVA (shared_info sometimes at an overlay page outside every memslot), or mixed: each (re)activation at random', 'mixed')
    .option('--page-size <bytes>', 'model page size (power of two, 64..65536)', String(d.pageSize))
    .option('--guest-steps <n>', 'upper bound of guest steps per vmentry', String(d.guestSteps))
    .option('--livelock-timeout <seconds>', 'a refresh still retrying after this long is a livelock finding', String(d.livelockTimeoutS))
    .option('--updater-timeout <seconds>', 'the memslot updater still waiting for in-flight invalidations after this long is a livelock finding (updater-starved)', String(d.updaterTimeoutS))
    .option('--lockdep', 'turn on lockdep-lite in every thread (slower)')
    .option('--protocol <name>', `protocol variant: ${protocolNames().join(', ')}, or one of --protocol-module's (default ${DEFAULT_PROTOCOL})`)
    .option('--protocol-module <file>', 'load a protocol variant from a module whose default export is one (repeatable; every thread loads them in order)', collect)
    .option('--strategy-module <file>', 'load an entry-check strategy from a module whose default export is one (repeatable; every thread loads them in order)', collect)
    .option('--retry <any|range>', 'alias of --protocol: any = mainline, range = range-retry (history B20)')
    .option('--invalidate <mixed|unrelated>', 'notifier targets: mixed (cached and spare pages) or unrelated (spare pages only, --inflight always in flight: the B20 livelock workload)', 'mixed')
    .option('--stop-on-finding', 'stop at the first finding (the report gives the time to it from the start of the threads)')
    .option('--schedule <os|chaos|random|pct>', 'who decides which thread runs: os (real threads, the default), chaos (real threads plus seeded random delays at the protocol points), random or pct (one thread at a time, a seeded scheduler picks at every protocol point: replayable)', 'os')
    .option('--sched-seed <n>', "the scheduler's seed (chaos/random/pct; default derived from --seed)")
    .option('--pct-depth <d>', 'pct: the bug depth d it targets (d-1 priority change points; default 3)')
    .option('--pct-epoch <K>', 'pct: restart PCT every K steps (new priorities and change points; a bug within K steps gets the PCT bound with K for the run length; 0, the default, never)')
    .option('--chaos-rate <p>', 'chaos: the chance that a protocol point injects a delay (0..1, default 0.02)')
    .option('--steps <n>', 'random/pct: the step budget of the schedule (model time: 1 µs per step; default 200000)')
    .option('--save-schedule <file>', 'random/pct: write the schedule file here, finding or not (a finding always writes one)')
    .option('--json', 'print the report as JSON (no progress output)')
    .option('--perfetto <file>', "write the first finding's interleaving as a Chrome Trace Event JSON file (ui.perfetto.dev, chrome://tracing)")
    .addOption(new Option('--crash-after <n>', 'test hook: vcpu-0 throws after n iterations').hideHelp())
    .addOption(new Option('--inject-race', 'test hook: the injected two-preemption race (src/kvm/test-race.ts)').hideHelp())
    .addHelpText('after', HELP_AFTER)
    .action(async function stressAction(raw: StressCliOptions) {
      const { protocolModule, strategyModule, perfetto, ...options } = raw;
      if (perfetto !== undefined) checkOutputPath('--perfetto', perfetto);
      if (options.saveSchedule !== undefined) checkOutputPath('--save-schedule', options.saveSchedule);
      const config = resolveStressConfig({
        ...options,
        ...(protocolModule ? { protocolModules: protocolModule } : {}),
        ...(strategyModule ? { strategyModules: strategyModule } : {}),
      });
      if (!config.json) process.stderr.write(`seed ${config.seed}\n`);
      let recorded: RecordedSchedule | undefined;
      const report = await runStress(config, { handleSigint: true, onScheduleRecorded: (r) => (recorded = r) });
      if (config.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${formatStressReport(report).join('\n')}\n`);
      if (perfetto !== undefined) {
        const first = report.findings[0];
        if (first) {
          writeFileSync(perfetto, `${JSON.stringify(perfettoTrace(first, report.rerun))}\n`);
          process.stderr.write(`perfetto: the interleaving of the first finding (${first.property}) in ${perfetto}: open it in ui.perfetto.dev or chrome://tracing\n`);
        } else {
          process.stderr.write(`perfetto: no finding, so no trace was written to ${perfetto}\n`);
        }
      }
      // random/pct: a finding's schedule is always kept (and any with --save-schedule).
      if (recorded && (report.findings.length > 0 || config.schedule.saveSchedule !== null)) {
        const path = config.schedule.saveSchedule ?? defaultSchedulePath(config, report);
        const replay = saveSchedule(path, scheduleFileOf(config, report, recorded));
        process.stderr.write(`schedule: ${recorded.decisions.length} decisions in ${path}; replay it with: ${replay}\n`);
      }
      process.exitCode = report.exitCode;
    });
}
