/**
 * Every command's --json against its shipped JSON Schema (schemas/<command>.schema.json, generated
 * from the report types by scripts/generate-schemas.mjs), validated with Ajv; and the shipped
 * schemas are the ones the current types give (run `npm run schemas` after changing a report type).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';

const cli = join(resolve(process.env.GPC_LAB_DIST ?? 'dist'), 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'gpc-schemas-'));

function schemaOf(command: string): object {
  return JSON.parse(readFileSync(`schemas/${command}.schema.json`, 'utf8')) as object;
}

function jsonOf(args: string[]): unknown {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 240_000 });
  expect([0, 1], result.stderr).toContain(result.status);
  return JSON.parse(result.stdout) as unknown;
}

const COMMANDS: [string, string[]][] = [
  ['stress', ['stress', '--vcpus', '2', '--duration', '1', '--seed', '3', '--json']],
  ['stress', ['stress', '--vcpus', '2', '--duration', '5', '--seed', '3', '--bug', 'refresh-skips-retry', '--stop-on-finding', '--json']],
  ['torture', ['torture', '--duration', '0.3', '--seed', '3', '--json']],
  ['bench', ['bench', '--quick', '--vcpus', '1', '--load', 'idle', '--strategy', 'generation', '--samples', '10', '--batch', '100', '--warmup', '0', '--json', '--no-chart']],
  ['bench-locks', ['bench-locks', '--samples', '10', '--batch', '1000', '--warmup', '0', '--json']],
  ['campaign', ['campaign', '--bug', 'check-ignores-generation', '--runs', '1', '--budget', '10s', '--json']],
  ['bugs', ['bugs', '--json']],
  ['protocols', ['protocols', '--json']],
  ['profile', ['profile', '--json', 'torture', '--duration', '0.3', '--out', join(dir, 'prof')]],
  ['verdicts', ['verdicts', '--protocol', 'test-never-retry', '--protocol-module', 'test/support/never-retry-protocol.mjs', '--budget', '1', '--vcpus', '2', '--json']],
  ['replay', ['replay', join(dir, 'schedule.json'), '--json']],
  ['replay', ['replay', join(dir, 'os-finding.json'), '--from-finding', '--out', join(dir, 'from-finding.json'), '--json']],
];

beforeAll(() => {
  // replay needs a schedule file: a short clean pct run's.
  const result = spawnSync(process.execPath, [cli, 'stress', '--schedule', 'pct', '--vcpus', '2', '--duration', '20', '--seed', '3', '--sched-seed', '7', '--steps', '20000', '--save-schedule', join(dir, 'schedule.json')], { encoding: 'utf8', timeout: 240_000 });
  expect(result.status, result.stderr).toBe(0);
  // replay --from-finding needs a stress report with a finding: a real-thread B3 run's.
  const os = spawnSync(process.execPath, [cli, 'stress', '--vcpus', '2', '--workload', 'xen', '--juggle-rate', '1000', '--event-rate', '20000', '--bug', 'refresh-without-mutex', '--duration', '10', '--stop-on-finding', '--seed', '3', '--json'], { encoding: 'utf8', timeout: 240_000 });
  expect(os.status, os.stderr).toBe(1);
  writeFileSync(join(dir, 'os-finding.json'), os.stdout);
}, 240_000);

describe('the JSON every command prints', () => {
  it('matches the shipped schemas: they are what the current report types give', async () => {
    const { generateSchemas } = (await import(pathToFileURL(resolve('scripts/generate-schemas.mjs')).href)) as { generateSchemas(): Record<string, string> };
    const fresh = generateSchemas();
    expect(Object.keys(fresh).sort()).toEqual(COMMANDS.map(([c]) => c).filter((c, i, all) => all.indexOf(c) === i).sort());
    for (const [command, text] of Object.entries(fresh)) expect(readFileSync(`schemas/${command}.schema.json`, 'utf8'), `schemas/${command}.schema.json is stale: npm run schemas`).toBe(text);
  }, 120_000);

  it.each(COMMANDS)('%s --json validates against its schema, with the common envelope', (command, args) => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schemaOf(command));
    const json = jsonOf(args) as Record<string, unknown>;
    const ok = validate(json);
    expect(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toBe(true);
    expect(json).toMatchObject({ tool: 'gpc-lab', command, schema: `schemas/${command}.schema.json` });
    expect(json.version).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  }, 240_000);

  it('a schema catches a report that breaks it (a missing field, a wrong type, an unknown field)', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schemaOf('bugs'));
    const good = jsonOf(['bugs', '--json']) as { bugs: Record<string, unknown>[] };
    expect(validate(good)).toBe(true);
    expect(validate({ ...good, tool: undefined })).toBe(false);
    expect(validate({ ...good, bugs: [{ ...good.bugs[0], name: 7 }] })).toBe(false);
    expect(validate({ ...good, surprise: true })).toBe(false);
  });
});
