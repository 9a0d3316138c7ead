/** Text wrapped for a terminal of a given width (reports keep to 100 columns). Cold path. */

/**
 * `text` broken at spaces into lines of at most `width` columns: the first starts with `first`,
 * the rest with `rest` (a hanging indent). A word longer than a line stays whole.
 */
export function wrapText(text: string, width: number, first = '', rest = first): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    const candidate = empty ? `${line}${word}` : `${line} ${word}`;
    if (!empty && candidate.length > width) {
      lines.push(line);
      line = `${rest}${word}`;
    } else {
      line = candidate;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

export const REPORT_WIDTH = 100;

/** Prose lines have their first label's width as hanging indent ("note: ", "totals: ", "[3] "). */
const HANGING = /^(\s*(?:[a-z][a-z ]*: |\[\d+\] )?)/;

/**
 * Lines fitted to `width`: a longer line is wrapped with a hanging indent, unless `keep` says to
 * keep it whole or it is a table row (columns split by runs of spaces: wrapping would break them).
 */
export function fitLines(lines: readonly string[], width: number, keep: (line: string) => boolean): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const tableRow = /\S {2,}\S.* {2,}\S/.test(line.trimStart());
    if (line.length <= width || tableRow || keep(line)) {
      out.push(line);
      continue;
    }
    const lead = HANGING.exec(line)![1]!;
    out.push(...wrapText(line.slice(lead.length), width, lead, ' '.repeat(Math.min(lead.length, 40))));
  }
  return out;
}
