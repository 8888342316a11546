/**
 * The growth table's judgement (bench/report-growth.ts): the growth factor and the flag for a
 * total that grows faster than linearly, on made-up steps (no measuring).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { growthFactor, renderGrowth, renderGrowthMarkdown, superLinear } from '../../bench/report-growth.js';
import type { GrowthRow, GrowthStep } from '../../bench/growth.js';

const step = (size: number, perUnit: number): GrowthStep => ({
  size, units: 1, work: 1, cpuSeconds: 0, perUnit, lost: 0, duplicated: 0, misrouted: 0, errors: [],
});

describe('growth report', () => {
  it('growth is the largest step\'s per-unit cost over the smallest\'s', () => {
    assert.equal(growthFactor({ name: 'muc', steps: [step(10, 20), step(100, 15), step(1000, 10)] }), 0.5);
    assert.ok(Number.isNaN(growthFactor({ name: 'muc', steps: [step(10, 20)] })));
  });

  it('flags a per-unit cost that rises more than 1.5×, and not a flat or falling one', () => {
    assert.equal(superLinear({ name: 'presence', steps: [step(10, 10), step(1000, 16)] }), true);
    assert.equal(superLinear({ name: 'presence', steps: [step(10, 10), step(1000, 14)] }), false);
    assert.equal(superLinear({ name: 'mam', steps: [step(10_000, 3), step(1_000_000, 2)] }), false);
  });

  it('login: linear in roster items is fine, a rising cost per item is flagged', () => {
    const linear: GrowthRow = { name: 'login', steps: [step(10, 5), step(1000, 50), step(5000, 240)] };
    assert.equal(superLinear(linear), false);
    const quadratic: GrowthRow = { name: 'login', steps: [step(10, 5), step(1000, 50), step(5000, 1250)] };
    assert.equal(superLinear(quadratic), true);
    assert.match(renderGrowth([linear]), /ok \(linear: 48\.0 µs per item\)/);
    assert.match(renderGrowthMarkdown([quadratic]), /FASTER THAN LINEAR/);
  });
});
