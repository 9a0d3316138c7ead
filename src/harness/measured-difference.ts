/**
 * Whether two timed figures differ by more than their noise: each figure is a median with its
 * p25..p75 over repeated samples; two figures whose p25..p75 intervals overlap are not told
 * apart ("no difference measured"), and a figure below its own floor (the cheaper operation it
 * contains) can only be noise. Reports print the ratio with this verdict, never a bare ratio that
 * the spread does not support.
 */
import type { BatchStats } from './batch-timer.js';

export type RatioVerdict = 'measured' | 'within-spread' | 'below-floor';

type Spread = Pick<BatchStats, 'median' | 'p25' | 'p75'>;

/** a and b differ beyond their spreads: the p25..p75 intervals do not overlap. */
export function differenceMeasured(a: Spread, b: Spread): boolean {
  return a.p75 < b.p25 || b.p75 < a.p25;
}

/** The verdict on `figure`'s ratio to `floor`. */
export function ratioVerdict(figure: Spread, floor: Spread): RatioVerdict {
  if (!differenceMeasured(figure, floor)) return 'within-spread';
  return figure.median < floor.median ? 'below-floor' : 'measured';
}

/** The marker printed after a ratio: '' (measured), '~' (within the spread), '!' (below its floor: noise). */
export function ratioMarker(verdict: RatioVerdict): string {
  return verdict === 'measured' ? '' : verdict === 'within-spread' ? '~' : '!';
}

/** The legend line for the markers. */
export const RATIO_MARKER_LEGEND = '~ = within the spread of its floor (p25..p75 overlap): no difference measured; ! = below its floor: noise, not a saving';
