/** A time in ns as reports print it: 3 significant figures below 100, whole ns with thousands separators above. */
export function formatNs(ns: number): string {
  return ns >= 100 ? Math.round(ns).toLocaleString('en-US') : ns >= 10 ? ns.toFixed(1) : ns.toFixed(2);
}
