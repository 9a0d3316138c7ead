/**
 * Strict parsers for numeric command-line values. Commander hands options over as strings; these
 * turn them into numbers or throw a UsageError that names the flag, the value and what is allowed
 * ("--readers must be an integer from 0 to 64, got 1.5").
 */
import { UsageError } from './usage-error.js';

const INTEGER = /^[+-]?\d+$/;

/** An integer in [min, max]. */
export function parseIntegerOption(flag: string, raw: string | number, min: number, max: number): number {
  const text = String(raw).trim();
  const value = INTEGER.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got '${String(raw)}'`);
  }
  return value;
}

/** Seconds per unit of a duration's suffix (none = seconds). */
const DURATION_UNITS: Readonly<Record<string, number>> = { '': 1, ms: 0.001, s: 1, m: 60, min: 60, h: 3600 };
const DURATION = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(ms|s|min|m|h)?$/;

/**
 * A duration > 0 and <= max seconds, in seconds: a number of seconds (decimals allowed: 0.5) or a
 * number with a unit (500ms, 30s, 2m, 2min, 1h). Every option that takes a time (--duration,
 * --budget, ...) parses it here, so they all accept the same forms.
 */
export function parseSecondsOption(flag: string, raw: string | number, max: number): number {
  const text = String(raw).trim();
  const match = DURATION.exec(text);
  const value = match ? Number(match[1]) * DURATION_UNITS[match[2] ?? '']! : Number.NaN;
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new UsageError(`${flag} must be a number of seconds > 0 and <= ${max}, or a duration with a unit (500ms, 30s, 2m, 1h), got '${String(raw)}'`);
  }
  return value;
}

/** One of `allowed`. */
export function parseChoiceOption<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got '${raw}'`);
}

/** The names of a repeatable option (`--bug a --bug b,c`), each at most once: a repeat is a usage error, not silently merged. */
export function rejectRepeats(flag: string, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new UsageError(`${flag} ${name} given twice; give each name once`);
    seen.add(name);
  }
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal number in [min, max] (e.g. a probability). */
export function parseNumberOption(flag: string, raw: string | number, min: number, max: number): number {
  const text = String(raw).trim();
  const value = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a number from ${min} to ${max}, got '${String(raw)}'`);
  }
  return value;
}

/** A comma-separated list or a list of them (repeatable options), split and trimmed, empty items dropped. */
export function parseListOption(raw: string | readonly string[] | undefined): string[] {
  if (raw === undefined) return [];
  const items = typeof raw === 'string' ? [raw] : [...raw];
  return items.flatMap((item) => item.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** `--shard i/n`: this shard of a matrix split n ways (1 <= i <= n <= 1000). */
export function parseShardOption(raw: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || count > 1000 || index < 1 || index > count) throw new UsageError(`--shard must be i/n with 1 <= i <= n <= 1000, got '${raw}'`);
  return { index, count };
}
