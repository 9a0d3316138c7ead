/**
 * `gpc-lab replay FILE`: re-run a random/pct schedule file exactly, and say whether its finding
 * recurred (src/replay/run-replay.ts). Exit: 1 reproduced, 0 the finding did not recur (or the
 * file recorded none and none came), 2 a bad or mismatched file, 3 a divergence, a failed
 * determinism check or an internal error, 130 Ctrl-C.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkOutputPath } from '../util/output-path.js';
import { perfettoTrace } from '../stress/perfetto-trace.js';
import { formatInterleaving } from '../stress/interleaving-text.js';
import { pairText, runReplay, type ReplayReport } from '../replay/run-replay.js';
import { REPORT_WIDTH, fitLines } from '../util/wrap-text.js';
import { UsageError } from '../util/usage-error.js';
import { runFromFinding, type FromFindingJson, type FromFindingResult } from '../replay/from-finding.js';
import { jsonEnvelope } from '../util/json-envelope.js';
import { parseIntegerOption } from '../util/option-parsers.js';

interface ReplayCliOptions {
  checkDeterminism?: boolean;
  shrink?: boolean;
  out?: string;
  shrinkTrials?: string;
  json?: boolean;
  perfetto?: string;
  fromFinding?: boolean;
}

function formatFromFinding(r: FromFindingResult, file: string): string[] {
  const out = [`from the finding in ${file}: ${r.source.text}`, `a random schedule following its interleaving: ${r.events} events, ${r.passed - r.skipped} followed in order, ${r.skipped} skipped${r.unmapped > 0 ? `, ${r.unmapped} not mapped` : ''}`];
  const first = r.report.findings[0];
  if (first) out.push('', `${first.property} (${first.thread}): ${first.message}`, ...formatInterleaving(first.interleaving).map((l) => `  ${l}`));
  const word = r.verdict === 'recurred' ? 'RECURRED' : 'NOT RECURRED';
  out.push('', `${word} (exit ${r.exitCode}): ${r.summary}`);
  return fitLines(out, REPORT_WIDTH, (line) => /^\s+#\d/.test(line) || line.includes('npx gpc-lab'));
}

export function formatReplayReport(r: ReplayReport): string[] {
  const out: string[] = [];
  const s = r.recorded.scheduler;
  out.push(`replay of ${r.file}: ${s.kind} schedule, scheduler seed ${s.seed}${s.kind === 'pct' ? `, depth ${s.pctDepth}${s.pctEpoch !== undefined ? `, restarted every ${s.pctEpoch} steps (last epoch's change points ${s.changePoints.join(', ')})` : `, change points ${s.changePoints.join(', ')}`}` : ''}, ${r.recorded.decisions} decisions`);
  out.push(`recorded: ${r.recorded.finding ? r.recorded.finding.text : 'no finding'} (trace hash ${r.recorded.traceHash})`);
  r.runs.forEach((run, i) => {
    out.push(`replay ${i + 1}: ${run.finding ? run.finding.text : 'no finding'}; ${run.decisions} decisions, ${run.steps} steps, trace hash ${run.traceHash}, ${run.elapsedS.toFixed(2)} s`);
  });
  const first = r.report.findings[0];
  if (first) {
    out.push('', `${first.property} (${first.thread}): ${first.message}`, ...formatInterleaving(first.interleaving).map((l) => `  ${l}`));
  }
  if (r.shrink) {
    const s = r.shrink;
    out.push('', `shrunk in ${s.trials} replays (${s.accepted} kept, ${s.seconds.toFixed(1)} s): threads ${s.before.threads} -> ${s.after.threads}, context switches ${s.before.contextSwitches} -> ${s.after.contextSwitches}, decisions ${s.before.decisions} -> ${s.after.decisions}, interleaving ${s.before.interleavingEvents} -> ${s.after.interleavingEvents} events; ${s.out} replays: ${s.verified}`);
    out.push(`threads and workload dropped: ${s.reductions.length > 0 ? s.reductions.join(', ') : 'none (each was needed, or the budget ran out)'}`);
    out.push(s.criticalPair ? `critical pair: ${pairText(s.criticalPair)}` : `critical pair: ${s.criticalPairNote}`);
    out.push(...s.interleaving.map((l) => `  ${l}`));
  }
  out.push('', `${r.verdict.toUpperCase()} (exit ${r.exitCode}): ${r.summary}`);
  return fitLines(out, REPORT_WIDTH, (line) => /^\s+#\d/.test(line) || line.includes('npx gpc-lab'));
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('re-run a random/pct schedule file exactly and say whether its finding recurs')
    .argument('<file>', 'a schedule file (written by stress or campaign with --schedule random|pct); with --from-finding, a stress --json report')
    .option('--check-determinism', 'replay three times and compare the trace hashes with the recorded one')
    .option('--shrink', 'if it reproduces: remove context switches while the finding stays the same, and write the smaller schedule (--out)')
    .option('--out <file>', '--shrink: where the smaller schedule goes (default FILE with .shrunk.json)')
    .option('--shrink-trials <n>', '--shrink: replays to try at most (default 60)')
    .option('--perfetto <file>', "write the replayed finding's interleaving as a Chrome Trace Event JSON file")
    .option('--from-finding', "best effort: FILE is a stress --json report of a real-thread (os/chaos) finding; run its configuration under a schedule that follows the finding's interleaving, and say whether the finding recurred (a finding's schedule is written: --out)")
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExit codes: 1 reproduced, 0 not reproduced (or clean as recorded), 2 bad or mismatched file, 3 diverged / not deterministic / internal error, 130 Ctrl-C.')
    .action(async function replayAction(file: string, options: ReplayCliOptions) {
      if (options.perfetto !== undefined) checkOutputPath('--perfetto', options.perfetto);
      if (options.fromFinding === true) {
        if (options.shrink === true || options.checkDeterminism === true) throw new UsageError('--from-finding takes a stress report, not a schedule file: it cannot be combined with --shrink or --check-determinism');
        if (options.out !== undefined) checkOutputPath('--out', options.out);
        const result = await runFromFinding(file, { ...(options.out !== undefined ? { out: options.out } : {}), progress: options.json ? 'silent' : 'auto' });
        const json: FromFindingJson = { ...jsonEnvelope('replay'), fromFinding: true, ...result };
        if (options.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        else process.stdout.write(`${formatFromFinding(result, file).join('\n')}\n`);
        process.exitCode = result.report.exitCode === 130 ? 130 : result.exitCode;
        return;
      }
      if (options.out !== undefined && options.shrink !== true) throw new UsageError('--out needs --shrink or --from-finding (it is where the smaller schedule, or the finding\'s schedule, goes)');
      const shrinkTo = options.shrink === true ? (options.out ?? file.replace(/(\.json)?$/, '.shrunk.json')) : undefined;
      if (shrinkTo !== undefined) checkOutputPath('--out', shrinkTo);
      const report = await runReplay(file, {
        checkDeterminism: options.checkDeterminism === true,
        progress: options.json ? 'silent' : 'auto',
        handleSigint: true,
        ...(shrinkTo !== undefined ? { shrinkTo } : {}),
        ...(options.shrinkTrials !== undefined ? { shrinkTrials: parseIntegerOption('--shrink-trials', options.shrinkTrials, 1, 10_000) } : {}),
      });
      if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${formatReplayReport(report).join('\n')}\n`);
      const first = report.report.findings[0];
      if (options.perfetto !== undefined && first) {
        writeFileSync(options.perfetto, `${JSON.stringify(perfettoTrace(first, `npx gpc-lab replay ${file}`))}\n`);
        process.stderr.write(`perfetto: the replayed finding's interleaving in ${options.perfetto}\n`);
      }
      process.exitCode = report.report.exitCode === 130 ? 130 : report.exitCode;
    });
}
