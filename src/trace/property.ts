/**
 * What an oracle property declares (one module per property: src/oracle/properties/<name>.ts):
 * its id, name, kind and description, which of the finding's cache / gpa / pfn it fills, what its
 * three detail ints a, b, c mean by name, and the sentence that explains a finding.
 *
 * The hot path records a finding as numbers (`finding(ctx, property, cache, gpa, pfn, a, b, c)`,
 * allocation-free); the main thread names them after the run with `details` and `describe`.
 */

/** Room for this many properties: the findings buffer's count line and the check counters. */
export const MAX_PROPERTIES = 16;

export type DetailValue = number | string | boolean;

/** A finding's named detail fields; an absent value is left out (never a -1). */
export type FindingDetails<K extends string = string> = { [P in K]?: DetailValue };

/** What the main thread knows when it names a finding's details. */
export interface DetailContext {
  readonly pageShift: number;
  /** Messages the run collected outside the buffer (lockdep-lite's); a finding's int may index them. */
  readonly messages: readonly string[];
}

/** The finding's common fields, present only when the property fills them and they are >= 0. */
export interface FindingSubject {
  readonly cache?: number;
  readonly gpa?: number;
  readonly gfn?: number;
  readonly pfn?: number;
}

export interface PropertyInfo {
  readonly id: number;
  readonly name: string;
  readonly kind: 'safety' | 'liveness';
  readonly description: string;
}

export interface PropertySpec<K extends string = string> extends PropertyInfo {
  /** Which of cache (gpc index), gpa and pfn its findings fill; a negative value is absent even then. */
  readonly fills: { readonly cache: boolean; readonly gpa: boolean; readonly pfn: boolean };
  /** Every detail field a finding of this property can carry, with what it means. */
  readonly fields: { readonly [P in K]: string };
  /** Names the three ints the check recorded (absent values left out). Cold path. */
  details(a: number, b: number, c: number, ctx: DetailContext): FindingDetails<K>;
  /** One sentence in KVM terms. Cold path. */
  describe(details: FindingDetails<K>, subject: FindingSubject): string;
}

/** Declares a property (infers its field names, so details and describe agree with fields). */
export function defineProperty<K extends string>(spec: PropertySpec<K>): PropertySpec<K> {
  return spec;
}

/** A value for a details object: absent when negative (the hot path's "none"). */
export function ifPresent(x: number): number | undefined {
  return x < 0 ? undefined : x;
}
