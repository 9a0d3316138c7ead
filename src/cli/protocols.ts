/** `gpc-lab protocols`: the protocol variants `--protocol` selects, with their sources and the steps each replaces. */
import { jsonEnvelope, type JsonEnvelope } from '../util/json-envelope.js';
import type { Command } from 'commander';
import { describeProtocol, type ProtocolDescription } from '../kvm/protocols/protocol-variant.js';
import { DEFAULT_PROTOCOL, shippedProtocols } from '../kvm/protocols/registry.js';
import { FIX_SWITCHES } from '../kvm/fix-switches.js';

/** A listed variant: its description, and whether it is the default. */
export interface ProtocolListing extends ProtocolDescription {
  readonly default: boolean;
}

/** What `protocols --json` prints: the variants under the common envelope. */
export interface ProtocolsReport extends JsonEnvelope<'protocols'> {
  readonly protocols: ProtocolListing[];
}

export function listProtocols(): ProtocolListing[] {
  return shippedProtocols().map((p) => ({ ...describeProtocol(p), default: p.name === DEFAULT_PROTOCOL }));
}

export function formatProtocolList(protocols: readonly ProtocolListing[]): string[] {
  const out: string[] = [];
  for (const p of protocols) {
    out.push(`${p.name}${p.default ? '  (default: the reference every variant is compared with)' : ''}`);
    out.push(`  summary:  ${p.summary}`);
    out.push(`  source:   ${p.source}`);
    out.push(p.default ? '  steps:' : '  replaces:');
    const width = Math.max(...p.steps.map((s) => s.step.length));
    for (const s of p.steps) out.push(`    ${s.step.padEnd(width)}  ${s.source}`);
    out.push('');
  }
  out.push('Select one with --protocol NAME (stress, bench, campaign); bug switches (--bug) combine with any.');
  out.push('');
  out.push('Fix switches (--fix NAME, stress and campaign): would-be upstream fixes for candidate upstream bugs found on mainline (docs/VERDICTS.md); they combine with any variant:');
  for (const f of FIX_SWITCHES) out.push(`  ${f.name}  fixes ${f.fixes}: ${f.description}`);
  return out;
}

export function registerProtocolsCommand(program: Command): void {
  program
    .command('protocols')
    .description('list the protocol variants (--protocol): source, one-line summary, and the steps each replaces with their sources')
    .option('--json', 'print the list as JSON')
    .action(function protocolsAction(raw: { json?: boolean }) {
      const protocols = listProtocols();
      if (raw.json === true) process.stdout.write(`${JSON.stringify({ ...jsonEnvelope('protocols'), protocols } satisfies ProtocolsReport, null, 2)}\n`);
      else process.stdout.write(`${formatProtocolList(protocols).join('\n')}\n`);
    });
}
