/**
 * Tests for lib/core/storage/memory.ts: the shared StorageDriver behaviour table run against
 * MemoryDriver, plus what is particular to it (copies, data kept after close).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isServerError } from '../../../lib/core/errors.js';
import { MemoryDriver } from '../../../lib/core/storage/memory.js';
import { describeStorageContract } from '../../helpers/storage-contract.js';

describeStorageContract('memory', () => new MemoryDriver());

describe('MemoryDriver', () => {
  it('hands out deep copies: mutating a nested returned value never reaches the store', () => {
    const d = new MemoryDriver();
    d.set('h', 's', 'u', { a: { b: [1, { c: 2 }] } });
    const got = d.get('h', 's', 'u') as { a: { b: [number, { c: number }] } };
    got.a.b[1].c = 99;
    assert.notEqual(d.get('h', 's', 'u'), d.get('h', 's', 'u'));
    assert.deepEqual(d.get('h', 's', 'u'), { a: { b: [1, { c: 2 }] } });
  });

  it('refuses values structuredClone cannot copy with XS_ERR_STORAGE', () => {
    const d = new MemoryDriver();
    assert.throws(() => d.set('h', 's', 'u', { f: () => 1 }), (err) => isServerError(err, 'XS_ERR_STORAGE'));
    assert.equal(d.get('h', 's', 'u'), undefined);
  });

  it('keeps its data after close(), so a driver passed to a new server instance still has it', () => {
    const d = new MemoryDriver();
    d.set('h', 's', 'u', 1);
    d.close();
    assert.equal(d.get('h', 's', 'u'), 1);
  });
});
