/** Schedule files (src/sched/schedule-file.ts): the decisions' encoding, and what a replay refuses to read. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  contextSwitches,
  decodeDecisions,
  encodeDecisions,
  findingSignature,
  readScheduleFile,
  sameSignature,
  scheduleFileStamp,
  writeScheduleFile,
  type ScheduleFile,
} from '../../src/sched/schedule-file.js';
import { UsageError } from '../../src/util/usage-error.js';

const dir = mkdtempSync(join(tmpdir(), 'gpc-schedule-file-'));

function validFile(decisions: Uint8Array): ScheduleFile {
  return {
    ...scheduleFileStamp(),
    config: { vcpus: 2, duration: 5, seed: 3, bug: ['refresh-skips-retry'] },
    threads: [
      { index: 0, name: 'vcpu-0' },
      { index: 1, name: 'vcpu-1' },
    ],
    scheduler: { kind: 'pct', seed: 9, pctDepth: 3, changePoints: [10, 20], steps: 1000 },
    stop: { step: 30, reason: 5, reasonName: 'finding' },
    decisions: { count: decisions.length, runs: encodeDecisions(decisions) },
    traceHash: '0badcafe',
    finding: null,
  };
}

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

function refusal(path: string): string {
  try {
    readScheduleFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`readScheduleFile(${path}) accepted it`);
}

describe('the decision list', () => {
  it('run-length encodes and decodes back to the same decisions', () => {
    const decisions = Uint8Array.from([0, 0, 0, 1, 2, 2, 0, 254, 254, 1]);
    const runs = encodeDecisions(decisions);
    expect(runs).toEqual([[0, 3], [1, 1], [2, 2], [0, 1], [254, 2], [1, 1]]);
    expect(decodeDecisions(runs, decisions.length)).toEqual(decisions);
    expect(contextSwitches(decisions)).toBe(5);
  });

  it('round-trips a long random log, and an empty one', () => {
    let x = 12345;
    const decisions = Uint8Array.from({ length: 50_000 }, () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 16) % 3 === 0 ? (x >>> 8) % 6 : 1;
    });
    expect(decodeDecisions(encodeDecisions(decisions), decisions.length)).toEqual(decisions);
    expect(encodeDecisions(new Uint8Array(0))).toEqual([]);
    expect(decodeDecisions([], 0)).toEqual(new Uint8Array(0));
  });

  it('a count that does not match the runs is refused', () => {
    expect(() => decodeDecisions([[0, 3]], 2)).toThrow(/more than the 2 it declares/);
    expect(() => decodeDecisions([[0, 3]], 4)).toThrow(/hold 3, not the 4 it declares/);
  });
});

describe('reading a schedule file', () => {
  const decisions = Uint8Array.from([0, 0, 1, 1, 1, 0]);

  it('a file this build wrote reads back with its decisions', () => {
    const path = join(dir, 'good.json');
    writeScheduleFile(path, validFile(decisions));
    const { file, decisions: read } = readScheduleFile(path);
    expect(read).toEqual(decisions);
    expect(file.scheduler.kind).toBe('pct');
    expect(file.stop.step).toBe(30);
  });

  it.each<[string, (f: ScheduleFile) => unknown, RegExp]>([
    ['another format', (f) => ({ ...f, format: 'something-else' }), /its format is not 'gpc-lab-schedule'/],
    ['another format version', (f) => ({ ...f, formatVersion: 2 }), /format version 2, this tool reads version 1/],
    ['another tool version', (f) => ({ ...f, tool: { name: 'gpc-lab', version: '9.9.9' } }), /recorded by gpc-lab 9\.9\.9, this is gpc-lab /],
    ['another model hash', (f) => ({ ...f, modelHash: 'feedfeedfeedfeed' }), /recorded with model code feedfeedfeedfeed, this build's is /],
    ['a chaos scheduler', (f) => ({ ...f, scheduler: { ...f.scheduler, kind: 'chaos' } }), /its scheduler is not random or pct/],
    ['no configuration', (f) => ({ ...f, config: undefined }), /it has no configuration/],
    ['no stop step', (f) => ({ ...f, stop: { reason: 5 } }), /it has no stop step/],
    ['no decisions', (f) => ({ ...f, decisions: undefined }), /it has no decisions/],
    ['a run that is not a pair', (f) => ({ ...f, decisions: { count: 6, runs: [[0, 2, 1], [1, 3]] } }), /a decision run is not \[participant, count\]: \[0,2,1\]/],
    ['a run of zero', (f) => ({ ...f, decisions: { count: 6, runs: [[0, 0], [1, 6]] } }), /a decision run is not \[participant, count\]: \[0,0\]/],
    ['a participant out of range', (f) => ({ ...f, decisions: { count: 6, runs: [[300, 6]] } }), /a decision run is not \[participant, count\]: \[300,6\]/],
    ['a count the runs do not make', (f) => ({ ...f, decisions: { count: 7, runs: f.decisions.runs } }), /its decisions hold 6, not the 7 it declares/],
  ])('%s: a usage error naming the file and why', (name, edit, why) => {
    const path = writeJson(`${name.replace(/ /g, '-')}.json`, edit(validFile(decisions)));
    const message = refusal(path);
    expect(message).toMatch(why);
    if (!/declares/.test(message)) expect(message).toContain(path);
  });

  it('a file that is not JSON, and one that does not exist', () => {
    const path = writeJson('not-json.json', '{"format": "gpc-lab-schedule", oops');
    expect(refusal(path)).toBe(`${path} is not a usable schedule file: it is not JSON`);
    expect(refusal(join(dir, 'missing.json'))).toBe(`cannot read schedule file ${join(dir, 'missing.json')}: ENOENT`);
  });
});

describe('finding signatures', () => {
  it('the same property, thread and racing steps are the same finding; another thread is not', () => {
    const a = { property: 'uaf-khva', thread: 'evtchn', racing: ['notifier page-free', 'evtchn event-dropped'], text: '' };
    expect(sameSignature(a, { ...a, text: 'other words' })).toBe(true);
    expect(sameSignature(a, { ...a, thread: 'vcpu-0' })).toBe(false);
    expect(sameSignature(a, { ...a, racing: ['notifier page-free'] })).toBe(false);
    expect(findingSignature({ property: 'uaf-khva', thread: 'evtchn', interleaving: [], message: 'm' }).text).toBe('uaf-khva (evtchn)');
  });
});
