/** Output files named on the command line are checked before any work, so a bad path costs no run. */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './usage-error.js';

/** `file`'s directory exists and is writable, else a UsageError naming the flag and the path. */
export function checkOutputPath(flag: string, file: string): void {
  const dir = dirname(resolve(file));
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
    if (isDirectory) accessSync(dir, fsConstants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${file}: ${isDirectory ? `directory ${dir} is not writable` : `directory ${dir} does not exist`}`);
  }
  if (!isDirectory) throw new UsageError(`${flag} ${file}: ${dir} is not a directory`);
}
