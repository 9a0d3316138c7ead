/**
 * The top level every `--json` output shares: which tool and command wrote it, the tool's
 * version, and the JSON Schema (shipped in the package's schemas/ folder) it validates against.
 */
import { packageVersion } from './package-info.js';

export type JsonCommand = 'stress' | 'torture' | 'bench' | 'bench-locks' | 'campaign' | 'bugs' | 'protocols' | 'profile' | 'replay' | 'verdicts';

export interface JsonEnvelope<C extends JsonCommand = JsonCommand> {
  readonly tool: 'gpc-lab';
  readonly command: C;
  readonly version: string;
  /** The schema's file in the package: schemas/<command>.schema.json. */
  readonly schema: string;
}

export function jsonEnvelope<C extends JsonCommand>(command: C): JsonEnvelope<C> {
  return { tool: 'gpc-lab', command, version: packageVersion(), schema: `schemas/${command}.schema.json` };
}
