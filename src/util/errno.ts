/** Negative errno values returned by the model's hot paths (failure is a return code, never a throw). */
export const EIO = 5;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EEXIST = 17;
export const EINVAL = 22;

const names: Record<number, string> = { 5: 'EIO', 11: 'EAGAIN', 12: 'ENOMEM', 14: 'EFAULT', 17: 'EEXIST', 22: 'EINVAL' };

/** "-EFAULT" for -14. Cold path. */
export function errnoName(code: number): string {
  return code < 0 ? `-${names[-code] ?? String(-code)}` : String(code);
}
