/**
 * Tests for lib/core/config.ts: shape validation, per-host lookup falling back to the global
 * section, global-scope options, option validation messages, and loading JSON / JS files.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config, loadConfigFile } from '../../lib/core/config.js';
import { option } from '../../lib/core/options.js';
import type { ServerError } from '../../lib/core/errors.js';

describe('Config', () => {
  const config = new Config({
    c2s_stanza_size_limit: 300000,
    http_ports: [5280],
    VirtualHost: { 'a.example': { c2s_stanza_size_limit: 20000 }, 'b.example': {} },
  });

  it('looks a host option up in the VirtualHost section first, then the global section', () => {
    const spec = option.integer({ default: 262144, min: 10000 });
    assert.equal(config.option('a.example', 'c2s_stanza_size_limit', spec, 'c2s'), 20000);
    assert.equal(config.option('b.example', 'c2s_stanza_size_limit', spec, 'c2s'), 300000);
    assert.equal(config.option('*', 'c2s_stanza_size_limit', spec, 'c2s'), 300000);
    assert.equal(config.option('b.example', 'c2s_timeout', option.integer({ default: 300 }), 'c2s'), 300);
    assert.equal(config.source('a.example', 'c2s_stanza_size_limit'), 'host');
    assert.equal(config.source('b.example', 'c2s_stanza_size_limit'), 'global');
    assert.equal(config.source('b.example', 'nothing'), undefined);
  });

  it('reads global-scope options only from the global section', () => {
    const c = new Config({ http_ports: [1], VirtualHost: { 'a.example': { http_ports: [2] } } });
    const spec = option.array(option.integer({ default: 0 }), { default: [], scope: 'global' });
    assert.deepEqual(c.option('a.example', 'http_ports', spec, 'http'), [1]);
  });

  it('names option, module, host, expected and actual value in XS_ERR_OPTION_INVALID', () => {
    const spec = option.integer({ default: 262144, min: 10000 });
    const bad = new Config({ VirtualHost: { 'a.example': { c2s_stanza_size_limit: '256k' } } });
    assert.throws(() => bad.option('a.example', 'c2s_stanza_size_limit', spec, 'websocket'), (err: ServerError) => {
      assert.equal(err.code, 'XS_ERR_OPTION_INVALID');
      assert.equal(err.message, `XS_ERR_OPTION_INVALID: Option 'c2s_stanza_size_limit' (module 'websocket', host 'a.example') must be an integer >= 10000, got "256k"`);
      return true;
    });
  });

  it('defaults to VirtualHost localhost when none is given', () => {
    assert.deepEqual(new Config({}).hostNames(), ['localhost']);
  });

  const invalid: [string, unknown, RegExp][] = [
    ['a non-object config', 42, /Config '\(root\)' must be an object, got 42/],
    ['VirtualHost as an array', { VirtualHost: ['x'] }, /Config 'VirtualHost' must be an object mapping host names/],
    ['an upper-case host name', { VirtualHost: { 'Example.com': {} } }, /lower-case domain names as keys, got "Example.com"/],
    ['a host section that is not an object', { VirtualHost: { 'a.example': 5 } }, /Config 'VirtualHost.a.example' must be an object of options, got 5/],
    ['nested VirtualHost', { VirtualHost: { 'a.example': { VirtualHost: {} } } }, /do not nest/],
    ['no hosts', { VirtualHost: {} }, /at least one host/],
  ];
  for (const [what, raw, message] of invalid) {
    it(`rejects ${what} with XS_ERR_CONFIG_INVALID`, () => {
      assert.throws(() => new Config(raw as never), (err: ServerError) => err.code === 'XS_ERR_CONFIG_INVALID' && message.test(err.message));
    });
  }

  describe('loadConfigFile()', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xs-config-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('loads JSON and JS module configs', async () => {
      writeFileSync(join(dir, 'a.json'), JSON.stringify({ log_level: 'warn', VirtualHost: { 'j.example': {} } }));
      writeFileSync(join(dir, 'b.mjs'), 'export default { VirtualHost: { "m.example": { x: 1 } } };');
      const a = await loadConfigFile(join(dir, 'a.json'));
      assert.deepEqual(a.hostNames(), ['j.example']);
      assert.equal(a.file, join(dir, 'a.json'));
      const b = await loadConfigFile(join(dir, 'b.mjs'));
      assert.equal(b.raw('m.example', 'x'), 1);
    });

    it('reports unreadable files, bad JSON and unknown extensions with XS_ERR_CONFIG_LOAD', async () => {
      writeFileSync(join(dir, 'bad.json'), '{ nope');
      writeFileSync(join(dir, 'c.yaml'), 'a: 1');
      for (const f of ['missing.json', 'bad.json', 'c.yaml']) {
        await assert.rejects(loadConfigFile(join(dir, f)), (err: ServerError) => err.code === 'XS_ERR_CONFIG_LOAD' && err.message.includes(f));
      }
    });
  });
});
