import { describe, expect, it } from 'vitest';
import * as steps from '../../src/trace/trace-steps.js';

describe('the trace step table', () => {
  it('every step id has an entry with a unique name, and every slot it uses is labelled', () => {
    const ids = Object.entries(steps).filter(([name]) => name.startsWith('STEP_')).map(([, id]) => id as number);
    expect(ids.length).toBeGreaterThan(20);
    const names = ids.map((id) => steps.STEPS[id]?.name);
    expect(names.every((n) => typeof n === 'string' && n.length > 0), String(names)).toBe(true);
    expect(new Set(names).size).toBe(ids.length);
    expect(Object.keys(steps.STEPS).length).toBe(ids.length);
    for (const id of ids) {
      const info = steps.STEPS[id]!;
      for (const label of [info.gpa, info.pfn, info.arg?.label]) if (label !== undefined) expect(label, info.name).toMatch(/^[a-z][A-Za-z]*$/);
    }
  });

  it('stepIdByName is the inverse of stepName, and knows no other name', () => {
    for (const id of Object.keys(steps.STEPS).map(Number)) expect(steps.stepIdByName(steps.stepName(id))).toBe(id);
    expect(steps.stepIdByName('no-such-step')).toBeUndefined();
    expect(steps.stepIdByName(steps.stepName(999))).toBeUndefined();
  });
});
