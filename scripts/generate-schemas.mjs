#!/usr/bin/env node
// Generates schemas/<command>.schema.json from the report types in src/json-reports.ts
// (ts-json-schema-generator). `node scripts/generate-schemas.mjs` writes them; `--check` only
// compares and exits 1 if one is out of date. The tests import generateSchemas() to check too.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The command -> type table, read from src/json-reports.ts (no TypeScript loader needed). */
function schemaTable() {
  const text = readFileSync(join(root, 'src/json-reports.ts'), 'utf8');
  const body = /JSON_SCHEMAS = \{([^}]*)\}/.exec(text)[1];
  return [...body.matchAll(/['"]?([\w-]+)['"]?:\s*'(\w+)'/g)].map((m) => [m[1], m[2]]);
}

/** { command: schema text } for every command. */
export function generateSchemas() {
  const generator = createGenerator({
    path: join(root, 'src/json-reports.ts'),
    tsconfig: join(root, 'tsconfig.json'),
    skipTypeCheck: true,
    expose: 'export',
    topRef: true,
    additionalProperties: false,
    sortProps: true,
  });
  const out = {};
  for (const [command, type] of schemaTable()) {
    const schema = generator.createSchema(type);
    schema.$id = `https://gpc-lab.invalid/schemas/${command}.schema.json`;
    schema.title = `gpc-lab ${command} --json`;
    out[command] = `${JSON.stringify(schema, null, 2)}\n`;
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  const schemas = generateSchemas();
  let stale = 0;
  mkdirSync(join(root, 'schemas'), { recursive: true });
  for (const [command, text] of Object.entries(schemas)) {
    const file = join(root, 'schemas', `${command}.schema.json`);
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {}
    if (current === text) continue;
    stale++;
    if (check) process.stderr.write(`schemas/${command}.schema.json is out of date: run npm run schemas\n`);
    else writeFileSync(file, text);
  }
  process.stdout.write(`${check ? 'checked' : 'wrote'} ${Object.keys(schemas).length} schemas${stale ? `, ${stale} ${check ? 'stale' : 'updated'}` : ', all current'}\n`);
  process.exitCode = check && stale > 0 ? 1 : 0;
}
