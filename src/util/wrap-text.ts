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
