/**
 * Tests for lib/core/options.ts: each spec kind accepts what it describes and rejects
 * everything else without coercion; descriptions read well in messages.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { option, INVALID } from '../../lib/core/options.js';

describe('option specs', () => {
  const table: { name: string; spec: { parse(raw: unknown): unknown; describe: string }; good: [unknown, unknown][]; bad: unknown[]; describe: string }[] = [
    { name: 'boolean', spec: option.boolean({ default: false }), good: [[true, true], [false, false]], bad: ['true', 1, null, undefined], describe: 'a boolean (true or false)' },
    { name: 'integer', spec: option.integer({ default: 10000, min: 10000 }), good: [[10000, 10000], [262144, 262144]], bad: [9999, 1.5, '262144', NaN, null], describe: 'an integer >= 10000' },
    { name: 'integer range', spec: option.integer({ default: 5, min: 0, max: 60 }), good: [[0, 0], [60, 60]], bad: [-1, 61], describe: 'an integer from 0 to 60' },
    { name: 'number', spec: option.number({ default: 1, max: 2 }), good: [[1.5, 1.5]], bad: [Infinity, 3, '1'], describe: 'a number <= 2' },
    { name: 'string', spec: option.string({ default: '/x', pattern: /^\//, patternText: "starting with '/'" }), good: [['/a', '/a']], bad: ['a', 5], describe: "a string starting with '/'" },
    { name: 'oneOf', spec: option.oneOf(['sqlite', 'memory'], { default: 'sqlite' }), good: [['memory', 'memory']], bad: ['postgres', 1], describe: 'one of "sqlite", "memory"' },
    { name: 'array', spec: option.array(option.integer({ default: 0, min: 0, max: 65535 }), { default: [] }), good: [[[5222, 0], [5222, 0]]], bad: [5222, [70000], ['5222']], describe: 'an array of integers from 0 to 65535' },
    { name: 'record', spec: option.record(option.string({ default: '' }), { default: {} }), good: [[{ websocket: '/ws' }, { websocket: '/ws' }]], bad: [[], { a: 1 }, 'x'], describe: 'an object whose values are strings' },
  ];
  for (const row of table) {
    it(`${row.name}: accepts valid values, rejects others, describes itself`, () => {
      for (const [raw, want] of row.good) assert.deepEqual(row.spec.parse(raw), want);
      for (const raw of row.bad) assert.equal(row.spec.parse(raw), INVALID, `should reject ${JSON.stringify(raw)}`);
      assert.equal(row.spec.describe, row.describe);
    });
  }

  it('set: returns a Set and restricts values when given', () => {
    const spec = option.set({ default: new Set(), values: ['PLAIN', 'SCRAM-SHA-1'] });
    const v = spec.parse(['PLAIN']);
    assert.ok(v instanceof Set && v.has('PLAIN'));
    assert.equal(spec.parse(['DIGEST-MD5']), INVALID);
  });

  it('defaults to host scope; global scope is kept', () => {
    assert.equal(option.boolean({ default: true }).scope, 'host');
    assert.equal(option.boolean({ default: true, scope: 'global' }).scope, 'global');
  });
});
