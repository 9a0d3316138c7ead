/**
 * The command line of `gpc-lab profile [profile options] <subcommand> [its options] --out DIR`.
 *
 * Profile's own options come before the subcommand, except `--out DIR`, which may also come
 * anywhere after it (before a `--`). Everything else after the subcommand is the job's, untouched
 * (so `--json` after the subcommand is the job's `--json`).
 */
import { UsageError } from '../util/usage-error.js';

export interface ProfileArgs {
  /** The gpc-lab subcommand to run under the profiler. */
  readonly subcommand: string;
  /** Its options, passed through. */
  readonly jobArgs: readonly string[];
  /** Output folder for the .cpuprofile files. */
  readonly outDir: string;
  /** How many functions to list per thread. */
  readonly top: number;
  /** Print the summary as JSON (the job's own stdout then goes to stderr). */
  readonly json: boolean;
  /** V8 sampling interval, microseconds (`--cpu-prof-interval`). */
  readonly intervalUs: number;
}

export const DEFAULT_TOP = 10;
export const DEFAULT_INTERVAL_US = 1000;
const TOP_RANGE = [1, 1000] as const;
const INTERVAL_RANGE = [50, 100_000] as const;
const OWN_OPTIONS = '--out DIR, --top N, --json, --interval US';

/**
 * `args`: what follows `profile` on the command line. `subcommands`: the gpc-lab subcommands that
 * can be profiled (named in error messages); `hiddenSubcommands` can be profiled too but are not
 * advertised. Throws UsageError on anything else.
 */
export function parseProfileArgs(
  args: readonly string[],
  subcommands: readonly string[],
  hiddenSubcommands: readonly string[] = [],
): ProfileArgs {
  let outDir: string | undefined;
  let top = DEFAULT_TOP;
  let json = false;
  let intervalUs = DEFAULT_INTERVAL_US;
  let i = 0;

  function takeOut(option: string, inlineValue: string | undefined): void {
    const value = inlineValue ?? args[++i];
    if (value === undefined || value === '' || (inlineValue === undefined && value.startsWith('-'))) {
      throw new UsageError(`${option} needs a folder name, e.g. --out prof`);
    }
    if (outDir !== undefined) throw new UsageError(`--out given twice ('${outDir}' and '${value}')`);
    outDir = value;
  }

  // Profile's own options, up to the subcommand.
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) break;
    const [option, inlineValue] = splitOption(arg);
    if (option === '--out') takeOut(option, inlineValue);
    else if (option === '--json' && inlineValue === undefined) json = true;
    else if (option === '--top') top = integerOption('--top', inlineValue ?? args[++i], TOP_RANGE);
    else if (option === '--interval') intervalUs = integerOption('--interval', inlineValue ?? args[++i], INTERVAL_RANGE);
    else {
      throw new UsageError(
        `unknown profile option '${arg}': profile's options are ${OWN_OPTIONS}, before the subcommand ` +
          `(the subcommand's options go after it)`,
      );
    }
  }

  const subcommand = args[i++];
  if (subcommand === undefined) {
    throw new UsageError(
      `missing the subcommand to profile: gpc-lab profile <subcommand> [its options] --out DIR ` +
        `(subcommands: ${subcommands.join(', ') || 'none registered'})`,
    );
  }
  if (subcommand === 'profile') throw new UsageError('cannot profile the profile command itself');
  if (!subcommands.includes(subcommand) && !hiddenSubcommands.includes(subcommand)) {
    throw new UsageError(
      `unknown subcommand '${subcommand}' to profile: one of ${subcommands.join(', ') || '(none registered)'}`,
    );
  }

  // The job's options; pick out --out, pass the rest (everything after a `--` verbatim).
  const jobArgs: string[] = [];
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      jobArgs.push(...args.slice(i + 1));
      break;
    }
    const [option, inlineValue] = splitOption(arg);
    if (option === '--out') takeOut(option, inlineValue);
    else jobArgs.push(arg);
  }

  if (outDir === undefined) {
    throw new UsageError('--out DIR is required: the folder to write one .cpuprofile per thread into');
  }
  return { subcommand, jobArgs, outDir, top, json, intervalUs };
}

/** "--name=value" -> ["--name", "value"]; anything else -> [arg, undefined]. */
function splitOption(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return arg.startsWith('--') && eq > 2 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

function integerOption(option: string, value: string | undefined, [min, max]: readonly [number, number]): number {
  const n = value !== undefined && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${option} must be an integer from ${min} to ${max}, got ${value ?? 'nothing'}`);
  }
  return n;
}
