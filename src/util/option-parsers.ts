/**
 * Strict parsers for numeric command-line values. Commander hands options over as strings; these
 * turn them into numbers or throw a UsageError that names the flag, the value and what is allowed
 * ("--readers must be an integer from 0 to 64, got 1.5").
 */
import { UsageError } from './usage-error.js';

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** An integer in [min, max]. */
export function parseIntegerOption(flag: string, raw: string | number, min: number, max: number): number {
  const text = String(raw).trim();
  const value = INTEGER.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got '${String(raw)}'`);
  }
  return value;
}

/** A number of seconds > 0 and <= max (decimals allowed: 0.5). */
export function parseSecondsOption(flag: string, raw: string | number, max: number): number {
  const text = String(raw).trim();
  const value = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new UsageError(`${flag} must be a number of seconds > 0 and <= ${max}, got '${String(raw)}'`);
  }
  return value;
}

/** One of `allowed`. */
export function parseChoiceOption<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got '${raw}'`);
}
