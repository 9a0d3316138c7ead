/**
 * The JSON every `--json` prints, one type per command, each with the common envelope
 * (src/util/json-envelope.ts). scripts/generate-schemas.mjs turns each into schemas/<command>.schema.json
 * (shipped in the package); test/schemas checks that the schemas are current and that every
 * command's output validates against its own.
 */
import type { StressReport } from './stress/stress-report.js';
import type { TortureReport } from './torture/report.js';
import type { BenchReport } from './bench/bench-report.js';
import type { BenchLocksReport } from './cli/bench-locks.js';
import type { CampaignReport } from './campaign/campaign-report.js';
import type { BugsReport } from './cli/bugs.js';
import type { ProtocolsReport } from './cli/protocols.js';
import type { ProfileReport } from './profile/profile-report.js';
import type { VerdictsReport } from './verdicts/verdicts-report.js';
import type { ReplayReport } from './replay/run-replay.js';
import type { FromFindingJson } from './replay/from-finding.js';

export type StressJson = StressReport;
export type TortureJson = TortureReport;
export type BenchJson = BenchReport;
export type BenchLocksJson = BenchLocksReport;
export type CampaignJson = CampaignReport;
export type BugsJson = BugsReport;
export type ProtocolsJson = ProtocolsReport;
export type ProfileJson = ProfileReport;
export type VerdictsJson = VerdictsReport;
/** `replay FILE` (a schedule) or `replay REPORT --from-finding` (a real-thread finding's report). */
export type ReplayJson = ReplayReport | FromFindingJson;

/** The schema file of each command, and the type it is generated from. */
export const JSON_SCHEMAS = {
  stress: 'StressJson',
  torture: 'TortureJson',
  bench: 'BenchJson',
  'bench-locks': 'BenchLocksJson',
  campaign: 'CampaignJson',
  bugs: 'BugsJson',
  protocols: 'ProtocolsJson',
  profile: 'ProfileJson',
  verdicts: 'VerdictsJson',
  replay: 'ReplayJson',
} as const;
