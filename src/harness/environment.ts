/**
 * Where a run ran, for every report (DESIGN 9: figures are only comparable with the Node/V8
 * version, the core count and how busy the machine was).
 */
import { availableParallelism, cpus, loadavg } from 'node:os';

export interface RunEnvironment {
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpuModel: string;
  availableParallelism: number;
  /** 1-minute load average when the run started (0 on Windows): > availableParallelism = busy. */
  loadAverage1m: number;
}

export function describeEnvironment(): RunEnvironment {
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    availableParallelism: availableParallelism(),
    loadAverage1m: loadavg()[0] ?? 0,
  };
}
