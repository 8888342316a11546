/**
 * Tests for lib/core/server.ts: lifecycle guards, host lookup, data_path resolution, and
 * third-party modules found through plugin_paths or by path.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from '../../lib/core/server.js';
import { Config } from '../../lib/core/config.js';
import { defineModule } from '../../lib/core/module-api.js';
import { MemoryDriver } from '../../lib/core/storage/memory.js';
import type { ServerError } from '../../lib/core/errors.js';
import { captureLog } from '../helpers/log.js';

const silent = () => captureLog('silent').logger;

describe('Server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xs-server-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second start and a late registerModule with XS_ERR_ALREADY_STARTED', async () => {
    const server = new Server({ modules_enabled: [] }, { logger: silent(), storage: new MemoryDriver() });
    await server.start();
    await assert.rejects(server.start(), (err: ServerError) => err.code === 'XS_ERR_ALREADY_STARTED');
    assert.throws(() => server.registerModule(defineModule({ name: 'late' })), (err: ServerError) => err.code === 'XS_ERR_ALREADY_STARTED' && /register a module/.test(err.message));
    await server.stop();
    await server.stop(); // idempotent
  });

  it('throws XS_ERR_HOST_UNKNOWN for a host that is not configured', () => {
    const server = new Server({}, { logger: silent(), storage: new MemoryDriver() });
    assert.ok(server.isLocalHost('localhost'));
    assert.throws(() => server.host('example.net'), (err: ServerError) => err.code === 'XS_ERR_HOST_UNKNOWN');
  });

  it('validates the core options at construction', () => {
    assert.throws(() => new Server({ storage: 'postgres' }, { logger: silent() }), (err: ServerError) =>
      err.code === 'XS_ERR_OPTION_INVALID' && err.message.includes(`Option 'storage' (module 'core', host '*') must be one of "sqlite", "sql", "memory", got "postgres"`));
  });

  it('resolves data_path against the config file folder and opens SQLite there', async () => {
    const server = new Server(new Config({ data_path: 'state', modules_enabled: [] }, join(dir, 'cfg.json')), { logger: silent() });
    assert.equal(server.dataPath, join(dir, 'state'));
    await server.start();
    server.accounts.create('localhost', 'a', 'pw');
    await server.stop();
    assert.ok(existsSync(join(dir, 'state', 'xmpp-server.sqlite')));
  });

  it('loads a third-party module from plugin_paths by its modules_enabled name', async () => {
    const plugins = join(dir, 'plugins');
    rmSync(plugins, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(plugins);
    writeFileSync(join(plugins, 'mod_tp.js'), `export default { name: 'tp', load(module) { module.hook('ping', () => 'tp:' + module.host); } };`);
    const server = new Server(new Config({ plugin_paths: ['plugins'], modules_enabled: ['tp'] }, join(dir, 'x.json')), { logger: silent(), storage: new MemoryDriver() });
    await server.start();
    assert.equal(server.host('localhost').events.fire('ping', {}), 'tp:localhost');
    await server.stop();
  });

  it('rejects a plugin whose default export is not a module definition (XS_ERR_MODULE_DEFINITION)', async () => {
    writeFileSync(join(dir, 'notamodule.js'), 'export default 42;');
    const server = new Server(new Config({ plugin_paths: ['.'], modules_enabled: ['notamodule'] }, join(dir, 'x.json')), { logger: silent(), storage: new MemoryDriver() });
    await assert.rejects(server.start(), (err: ServerError) => err.code === 'XS_ERR_MODULE_DEFINITION' && /notamodule/.test(err.message));
  });

  it('reports where it searched for a module that is nowhere (XS_ERR_MODULE_NOT_FOUND)', async () => {
    const server = new Server(new Config({ plugin_paths: ['plugins'], modules_enabled: ['ghost'] }, join(dir, 'x.json')), { logger: silent(), storage: new MemoryDriver() });
    await assert.rejects(server.start(), (err: ServerError) => err.code === 'XS_ERR_MODULE_NOT_FOUND' && err.message.includes(join(dir, 'plugins', 'ghost.js')) && err.message.includes("package 'ghost'"));
  });
});
