/** `gpc-lab bugs`: the catalog as text or JSON. */
import { BUG_SWITCHES } from '../kvm/bug-switches.js';
import { BUG_CATALOG, type BugEntry } from './catalog.js';
import { MEASURED, MEASURED_WITH, type MeasuredDetection } from './measured.js';

export interface BugListing {
  name: string;
  switch: string;
  aliases: string[];
  history: string;
  source: string;
  wrong: string;
  kind: BugEntry['kind'];
  caughtBy: string[];
  workload: Record<string, unknown>;
  inCampaign: boolean;
  /** Detection rate and time from the last recorded campaign (measured.ts), if it ran this entry. */
  measured?: MeasuredDetection & { with: string };
  note?: string;
}

/** Every catalog entry with its switch's aliases. Cold path. */
export function listBugs(): BugListing[] {
  return BUG_CATALOG.map((e) => ({
    name: e.name,
    switch: e.switchName || '(none: a workload on the reference protocol)',
    aliases: [...(BUG_SWITCHES.find((s) => s.name === e.switchName)?.aliases ?? [])],
    history: e.history,
    source: e.source,
    wrong: e.wrong,
    kind: e.kind,
    caughtBy: e.kind === 'cost' ? [] : [...e.expect],
    workload: { ...e.stress },
    inCampaign: e.notInCampaign === undefined,
    ...(MEASURED[e.name] ? { measured: { ...MEASURED[e.name]!, with: MEASURED_WITH } } : {}),
    ...(e.notInCampaign ? { note: e.notInCampaign } : e.slowBecause ? { note: e.slowBecause } : e.cure ? { note: `cure: ${JSON.stringify(e.cure)}` } : {}),
  }));
}

function workloadFlags(workload: Record<string, unknown>): string {
  return Object.entries(workload)
    .map(([k, v]) => (v === true ? `--${kebab(k)}` : `--${kebab(k)} ${String(v)}`))
    .join(' ');
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function formatBugList(bugs: readonly BugListing[]): string[] {
  const out: string[] = [];
  for (const b of bugs) {
    out.push(`${b.name}  [${b.history}, ${b.kind}]${b.aliases.length > 0 ? `  (alias: ${b.aliases.join(', ')})` : ''}`);
    out.push(`  source:    ${b.source}`);
    out.push(`  wrong:     ${b.wrong}`);
    out.push(`  caught by: ${b.kind === 'cost' ? 'no finding expected: fast-path fallbacks and notifier hook time vs the reference' : b.caughtBy.join(' | ')}`);
    if (b.measured) {
      out.push(`  measured:  ${b.measured.detected} runs detected, median ${b.measured.median}, max ${b.measured.max}; first caught by ${b.measured.caughtFirstBy}`);
    } else if (b.kind === 'cost') {
      out.push('  measured:  cost only: see `gpc-lab campaign` (fast-path fallbacks, notifier hook time)');
    }
    out.push(
      b.inCampaign
        ? `  try:       gpc-lab stress ${workloadFlags(b.workload)}${b.switch.startsWith('(') ? '' : ` --bug ${b.switch}`} --duration 10 --stop-on-finding`
        : '  try:       npm test -- test/kvm/gpc.test.ts (no stress workload reaches it: see the note)',
    );
    if (b.note) out.push(`  note:      ${b.note}`);
    out.push('');
  }
  out.push(`measured: ${MEASURED_WITH}`);
  return out;
}
