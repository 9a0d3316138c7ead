/** Named on/off switches as bit masks (bug switches, fix switches): names -> mask and back. Cold path. */
export interface NamedSwitch {
  readonly name: string;
  readonly mask: number;
}

/** The mask for a list of names; throws RangeError naming an unknown one (`kind`: "bug switch", "fix switch"). */
export function maskFromNames<S extends NamedSwitch>(kind: string, all: readonly S[], find: (name: string) => S | undefined, names: readonly string[]): number {
  let mask = 0;
  for (const name of names) {
    const info = find(name);
    if (!info) throw new RangeError(`unknown ${kind} '${name}' (known: ${all.map((s) => s.name).join(', ')})`);
    mask |= info.mask;
  }
  return mask;
}

/** The names of the switches in `mask`. */
export function namesFromMask(all: readonly NamedSwitch[], mask: number): string[] {
  return all.filter((s) => (mask & s.mask) !== 0).map((s) => s.name);
}
