/**
 * Bad input from the user. The CLI prints `error: <message>` and exits 2 (no stack trace).
 * The message names the value and what is allowed, e.g.
 * "--vcpus must be an integer from 1 to 256, got 0".
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
