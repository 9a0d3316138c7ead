/**
 * Maps a profile function's position in built JS (dist/*.js, as V8 saw it) back to the TypeScript
 * source, through the source maps tsup writes next to each output file (`*.js.map`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GREATEST_LOWER_BOUND,
  LEAST_UPPER_BOUND,
  TraceMap,
  originalPositionFor,
  type Bias,
} from '@jridgewell/trace-mapping';
import type { CallFrame } from './cpuprofile.js';

/** A position for people: 1-based line and column. */
export interface SourceLocation {
  /**
   * Relative to the project the file belongs to (`src/sync/spin-wait.ts`,
   * `node_modules/piscina/src/worker.ts`), a `node:` module name, or absolute outside any project.
   */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** True when found through a source map (the file is the original source). */
  readonly mapped: boolean;
}

const SOURCE_MAPPING_URL = /\/\/# sourceMappingURL=(\S+)\s*$/;

/** Resolves call frames to source locations; loads each script's source map once. */
export class SourceLocator {
  private readonly maps = new Map<string, TraceMap | null>();
  private readonly projectRoots = new Map<string, string | null>();

  /** Null for frames that have no script (V8's pseudo-functions, native code). */
  locate(frame: CallFrame): SourceLocation | null {
    if (frame.url === '') return null;
    const generated = { line: frame.lineNumber + 1, column: frame.columnNumber };
    if (!frame.url.startsWith('file:')) {
      // node:internal/..., or a script V8 named by a bare path.
      const file = isAbsolute(frame.url) ? this.display(frame.url) : frame.url;
      return { file, line: generated.line, column: generated.column + 1, mapped: false };
    }
    const scriptPath = fileURLToPath(frame.url);
    const map = this.mapOf(scriptPath);
    if (map !== null) {
      const original = lookUp(map, generated.line, generated.column);
      if (original !== null) {
        const file = original.source.startsWith('file:') ? fileURLToPath(original.source) : original.source;
        return { file: this.display(file), line: original.line, column: original.column + 1, mapped: true };
      }
    }
    return { file: this.display(scriptPath), line: generated.line, column: generated.column + 1, mapped: false };
  }

  /**
   * A path shown relative to its project: the folder above the first `node_modules`, else the
   * nearest folder with a package.json. So the names do not depend on where gpc-lab was run from
   * or built into (a private GPC_LAB_DIST build maps back to the same src/ files).
   */
  private display(path: string): string {
    const modules = path.indexOf(`${sep}node_modules${sep}`);
    const root = modules >= 0 ? path.slice(0, modules) : this.packageRootOf(dirname(path));
    return root === null ? path : relative(root, path);
  }

  private packageRootOf(dir: string): string | null {
    let root = this.projectRoots.get(dir);
    if (root === undefined) {
      const parent = dirname(dir);
      if (existsSync(join(dir, 'package.json'))) root = dir;
      else root = parent === dir ? null : this.packageRootOf(parent);
      this.projectRoots.set(dir, root);
    }
    return root;
  }

  private mapOf(scriptPath: string): TraceMap | null {
    let map = this.maps.get(scriptPath);
    if (map === undefined) {
      map = loadSourceMap(scriptPath);
      this.maps.set(scriptPath, map);
    }
    return map;
  }
}

function lookUp(map: TraceMap, line: number, column: number): { source: string; line: number; column: number } | null {
  for (const bias of [GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND] as const satisfies readonly Bias[]) {
    const position = originalPositionFor(map, { line, column, bias });
    if (position.source !== null) return { source: position.source, line: position.line, column: position.column };
  }
  return null;
}

/** The script's source map: its `sourceMappingURL` (a file or an inline data URL), else `<script>.map`. */
function loadSourceMap(scriptPath: string): TraceMap | null {
  try {
    let mapPath = `${scriptPath}.map`;
    if (existsSync(scriptPath)) {
      const tail = readFileSync(scriptPath, 'utf8').slice(-4096);
      const reference = SOURCE_MAPPING_URL.exec(tail)?.[1];
      if (reference?.startsWith('data:')) {
        const base64 = reference.slice(reference.indexOf(',') + 1);
        return new TraceMap(Buffer.from(base64, 'base64').toString('utf8'), scriptPath);
      }
      if (reference !== undefined) mapPath = resolve(dirname(scriptPath), decodeURIComponent(reference));
    }
    if (!existsSync(mapPath)) return null;
    return new TraceMap(readFileSync(mapPath, 'utf8'), mapPath);
  } catch {
    // A corrupt or unreadable map only costs the mapping: the built location is shown instead.
    return null;
  }
}
