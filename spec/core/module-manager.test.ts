/**
 * Tests for lib/core/module-manager.ts and module-api.ts: Prosody's per-host module sets,
 * dependency order and errors, option validation before anything runs, and load / unload /
 * reload removing exactly what a module registered.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Server } from '../../lib/core/server.js';
import { defineModule, type ModuleDefinition } from '../../lib/core/module-api.js';
import { option } from '../../lib/core/options.js';
import { MemoryDriver } from '../../lib/core/storage/memory.js';
import type { ServerError } from '../../lib/core/errors.js';
import type { RawConfig } from '../../lib/core/config.js';
import { captureLog } from '../helpers/log.js';

/** A server with only the given modules registered, memory storage and a captured log. */
function makeServer(config: RawConfig, modules: ModuleDefinition[]) {
  const log = captureLog('debug');
  const server = new Server(config, { modules, logger: log.logger, storage: new MemoryDriver() });
  return { server, log };
}

declare module '../../lib/core/api.js' {
  interface Events {
    /** The test event these modules hook. */
    ping: Record<string, never>;
  }
}

/** A module that records its lifecycle into `trace` and hooks one event. */
function tracer(name: string, trace: string[], extra: Partial<ModuleDefinition> = {}): ModuleDefinition {
  return defineModule({
    name,
    ...extra,
    load(module) {
      trace.push(`load ${name}@${module.host}`);
      module.hook('ping', () => { trace.push(`ping ${name}@${module.host}`); });
    },
    unload(module) { trace.push(`unload ${name}@${module.host}`); },
  } as ModuleDefinition);
}

describe('ModuleManager', () => {
  describe('modules per host (Prosody rule)', () => {
    it('is autoload + global enabled - global disabled + host enabled - host disabled', () => {
      const names = ['presence', 'c2s', 'a', 'b', 'c', 'd'];
      const { server } = makeServer({
        modules_enabled: ['a', 'b'],
        modules_disabled: ['c2s', 'b'],
        VirtualHost: { 'h1.example': { modules_enabled: ['c', 'b'] }, 'h2.example': { modules_disabled: ['a', 'presence'] } },
      }, names.map((n) => tracer(n, [])));
      assert.deepEqual(server.modules.enabledNames('h1.example').sort(), ['a', 'b', 'c', 'presence']);
      assert.deepEqual(server.modules.enabledNames('h2.example').sort(), []);
    });

    it('rejects a non-array modules_enabled with XS_ERR_OPTION_INVALID naming the host', () => {
      const { server } = makeServer({ VirtualHost: { 'h.example': { modules_enabled: 'a' } } }, []);
      assert.throws(() => server.modules.enabledNames('h.example'), (err: ServerError) =>
        err.code === 'XS_ERR_OPTION_INVALID' && err.message.includes("Option 'modules_enabled' (module 'core', host 'h.example') must be an array of strings, got \"a\""));
    });
  });

  describe('dependencies', () => {
    it('loads dependencies first, each once, even when not enabled', async () => {
      const trace: string[] = [];
      const { server } = makeServer({ modules_enabled: ['top', 'mid'], VirtualHost: { 'h.example': {} } }, [
        tracer('top', trace, { depends: ['mid', 'base'] }),
        tracer('mid', trace, { depends: ['base'] }),
        tracer('base', trace),
      ]);
      await server.start();
      assert.deepEqual(trace, ['load base@h.example', 'load mid@h.example', 'load top@h.example']);
      await server.stop();
      assert.deepEqual(trace.slice(3), ['unload top@h.example', 'unload mid@h.example', 'unload base@h.example']);
    });

    const failures: [string, RawConfig, ModuleDefinition[], string, RegExp][] = [
      ['a cycle', { modules_enabled: ['a'] }, [tracer('a', [], { depends: ['b'] }), tracer('b', [], { depends: ['c'] }), tracer('c', [], { depends: ['a'] })],
        'XS_ERR_MODULE_DEPENDENCY', /Module 'a' on host 'localhost' cannot load: dependency cycle a -> b -> c -> a/],
      ['a disabled dependency', { modules_enabled: ['a'], modules_disabled: ['b'] }, [tracer('a', [], { depends: ['b'] }), tracer('b', [])],
        'XS_ERR_MODULE_DEPENDENCY', /Module 'a' on host 'localhost' cannot load: it depends on 'b', which modules_disabled disables on this host/],
      ['an unknown dependency', { modules_enabled: ['a'] }, [tracer('a', [], { depends: ['zzz'] })],
        'XS_ERR_MODULE_DEPENDENCY', /it depends on unknown module 'zzz'/],
      ['an unknown module', { modules_enabled: ['nope'] }, [],
        'XS_ERR_MODULE_NOT_FOUND', /modules_enabled for 'localhost' lists unknown module 'nope'/],
    ];
    for (const [what, config, modules, code, message] of failures) {
      it(`reports ${what} before any module runs`, async () => {
        const trace: string[] = [];
        const cfg = { ...config, modules_enabled: ['innocent', ...((config.modules_enabled as string[]) ?? [])] };
        const { server: s2 } = makeServer(cfg, [tracer('innocent', trace), ...modules]);
        await assert.rejects(s2.start(), (err: ServerError) => err.code === code && message.test(err.message));
        assert.deepEqual(trace, [], 'nothing may load when the plan is invalid');
        assert.equal(s2.state, 'stopped');
      });
    }
  });

  describe('options', () => {
    const seen: unknown[] = [];
    const withLimit = defineModule({
      name: 'limited',
      options: {
        limited_size: option.integer({ default: 262144, min: 10000, doc: 'x' }),
        limited_name: option.string({ default: 'n', doc: 'y' }),
      },
      load(module) { seen.push([module.host, module.options.limited_size, module.options.limited_name]); },
    });

    it('gives each host its own validated values (host section, then global, then default)', async () => {
      seen.length = 0;
      const { server } = makeServer({ modules_enabled: ['limited'], limited_size: 20000, VirtualHost: { 'a.example': { limited_size: 30000 }, 'b.example': { limited_name: 'b' } } }, [withLimit]);
      await server.start();
      assert.deepEqual(seen, [['a.example', 30000, 'n'], ['b.example', 20000, 'b']]);
      await server.stop();
    });

    it('refuses the start with XS_ERR_OPTION_INVALID when a host value is invalid', async () => {
      const trace: string[] = [];
      const { server } = makeServer({ modules_enabled: ['t', 'limited'], VirtualHost: { 'a.example': {}, 'b.example': { limited_size: 5 } } }, [withLimit, tracer('t', trace)]);
      await assert.rejects(server.start(), (err: ServerError) => err.code === 'XS_ERR_OPTION_INVALID' &&
        err.message === "XS_ERR_OPTION_INVALID: Option 'limited_size' (module 'limited', host 'b.example') must be an integer >= 10000, got 5");
      assert.deepEqual(trace, []);
    });

    it('warns once about each unknown config key', async () => {
      const { server, log } = makeServer({ modules_enabled: ['limited'], limitd_size: 1, VirtualHost: { 'a.example': { limitd_size: 2 } } }, [withLimit]);
      await server.start();
      const warnings = log.lines.filter((l) => l.msg === 'unknown config option (misspelt, or its module is not installed)');
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.option, 'limitd_size');
      await server.stop();
    });
  });

  describe('load, unload, reload', () => {
    const busy = defineModule({
      name: 'busy',
      load(module) {
        module.hook('ping', () => 'busy', 5);
        module.hookGlobal('server-stopping', () => undefined);
        module.provides('thing', { id: module.host });
        module.setTimer(60_000, () => assert.fail('timer must be cancelled'));
        module.setInterval(60_000, () => assert.fail('interval must be cancelled'));
      },
    });
    const other = defineModule({
      name: 'other',
      load(module) {
        module.hook('ping', () => undefined, 1);
        module.provides('thing', { id: 'other' });
      },
    });

    it('removes exactly the unloaded module\'s handlers, items and timers', async () => {
      const { server } = makeServer({ modules_enabled: ['busy', 'other'], VirtualHost: { 'h.example': {} } }, [busy, other]);
      await server.start();
      const host = server.host('h.example');
      const globalBefore = server.events.handlers('server-stopping').length;
      assert.equal(host.events.handlers('ping').length, 2);
      assert.equal(host.events.fire('ping', {}), 'busy');
      assert.deepEqual(host.items.get('thing').map((r) => r.module), ['busy', 'other']);
      const api = server.modules.get('h.example', 'busy')!;
      assert.deepEqual(api.registrations, { hooks: 2, items: 1, timers: 2 });

      await server.modules.unload('h.example', 'busy');
      assert.equal(host.events.handlers('ping').length, 1);
      assert.equal(host.events.fire('ping', {}), undefined);
      assert.deepEqual(host.items.get('thing').map((r) => r.module), ['other']);
      const otherApi = server.modules.get('h.example', 'other')!;
      assert.deepEqual(otherApi.requireService('thing'), { id: 'other' }, 'requireService: the first provider left');
      assert.throws(() => otherApi.requireService('nothing'), /the nothing service is not available on h\.example/);
      assert.equal(server.events.handlers('server-stopping').length, globalBefore - 1);
      assert.deepEqual(api.registrations, { hooks: 0, items: 0, timers: 0 });
      assert.equal(server.modules.isLoaded('h.example', 'busy'), false);

      await server.modules.load('h.example', 'busy');
      assert.equal(host.events.fire('ping', {}), 'busy');
      await server.stop();
      assert.equal(host.events.handlers('ping').length, 0);
      assert.equal(host.items.get('thing').length, 0);
    });

    it('reload unloads dependents, reloads both, and handlers are not doubled', async () => {
      const trace: string[] = [];
      const { server } = makeServer({ modules_enabled: ['dep', 'base'], VirtualHost: { 'h.example': {} } }, [tracer('base', trace), tracer('dep', trace, { depends: ['base'] })]);
      await server.start();
      trace.length = 0;
      await server.modules.reload('h.example', 'base');
      assert.deepEqual(trace, ['unload dep@h.example', 'unload base@h.example', 'load base@h.example', 'load dep@h.example']);
      trace.length = 0;
      server.host('h.example').events.fire('ping', {});
      assert.deepEqual(trace, ['ping base@h.example', 'ping dep@h.example']);
      await server.stop();
    });

    it('announces items to consumers, including items present before they subscribed', async () => {
      const seen: string[] = [];
      const consumer = defineModule({
        name: 'consumer',
        depends: ['busy'],
        load(module) {
          module.handleItems('thing', (r) => { seen.push(`+${(r.item as { id: string }).id}`); }, (r) => { seen.push(`-${(r.item as { id: string }).id}`); });
        },
      });
      const { server } = makeServer({ modules_enabled: ['consumer', 'other'], VirtualHost: { 'h.example': {} } }, [busy, other, consumer]);
      await server.start();
      assert.deepEqual(seen, ['+h.example', '+other']);
      await server.modules.unload('h.example', 'other');
      assert.deepEqual(seen, ['+h.example', '+other', '-other']);
      await server.stop();
    });

    it('wraps a throwing load() in XS_ERR_MODULE_LOAD and unloads what already loaded', async () => {
      const trace: string[] = [];
      const broken = defineModule({ name: 'broken', load() { throw new Error('kaput'); } });
      const { server } = makeServer({ modules_enabled: ['t', 'broken'] }, [tracer('t', trace), broken]);
      await assert.rejects(server.start(), (err: ServerError) => err.code === 'XS_ERR_MODULE_LOAD' && /Module 'broken' failed to load on host 'localhost': kaput/.test(err.message) && (err.cause as Error).message === 'kaput');
      assert.deepEqual(trace, ['load t@localhost', 'unload t@localhost']);
    });
  });

  describe('global modules', () => {
    it('load once with host "*" and get addHost for every host that enables them', async () => {
      const trace: string[] = [];
      const g = defineModule({
        name: 'g',
        global: true,
        load(module) { trace.push(`load ${module.host}`); module.hook('ping', () => { trace.push('global ping'); }); },
        addHost(module) { trace.push(`addHost ${module.host}`); module.hook('ping', () => { trace.push(`ping ${module.host}`); }); },
        unload(module) { trace.push(`unload ${module.host}`); },
      });
      const { server } = makeServer({ VirtualHost: { 'a.example': { modules_enabled: ['g'] }, 'b.example': {}, 'c.example': { modules_enabled: ['g'] } }, modules_enabled: [] }, [g]);
      await server.start();
      assert.deepEqual(trace, ['load *', 'addHost a.example', 'addHost c.example']);
      server.host('c.example').events.fire('ping', {});
      server.events.fire('ping', {});
      assert.deepEqual(trace.slice(3), ['ping c.example', 'global ping']);
      await server.modules.unload('a.example', 'g');
      assert.ok(server.modules.isLoaded('*', 'g'), 'still used by c.example');
      await server.modules.unload('c.example', 'g');
      assert.equal(server.modules.isLoaded('*', 'g'), false);
      assert.equal(trace.at(-1), 'unload *');
      assert.equal(server.events.handlers('ping').length, 0);
      await server.stop();
    });
  });

  describe('declared events', () => {
    it('warns once about a hook of an event nobody declares (a typo), never about declared ones', async () => {
      const typo = defineModule({
        name: 'typo',
        events: ['typo/*'],
        load(module) {
          const hook = module.hook as (event: string, handler: () => void) => void;
          hook.call(module, 'resouce-bind', () => undefined);
          hook.call(module, 'resouce-bind', () => undefined);
          module.hook('resource-bind', () => undefined);
          module.hook('iq-get/host/urn:example:x:query', () => undefined);
          hook.call(module, 'typo/own', () => undefined);
        },
      });
      const { server, log } = makeServer({ modules_enabled: ['typo'], VirtualHost: { 'a.example': {}, 'b.example': {} } }, [typo]);
      await server.start();
      const warned = log.lines.filter((l) => l.msg === 'hooking an event that no module declares (misspelt? declare it in defineModule({ events }))');
      assert.deepEqual(warned.map((l) => l.event), ['resouce-bind'], 'once, for the typo only');
      assert.equal(warned[0]!.module, 'typo');
      await server.stop();
    });
  });

  describe('lifecycle events', () => {
    it('fires server-started, then server-stopping before modules unload', async () => {
      const trace: string[] = [];
      const m = defineModule({
        name: 'm',
        load(module) {
          module.hookGlobal('server-started', () => { trace.push('started'); });
          module.hookGlobal('server-stopping', (e) => { trace.push(`stopping ${e.reason}`); });
        },
        unload() { trace.push('unload'); },
      });
      const { server } = makeServer({ modules_enabled: ['m'] }, [m]);
      await server.start();
      await server.stop('test');
      assert.deepEqual(trace, ['started', 'stopping test', 'unload']);
      assert.equal(server.state, 'stopped');
    });
  });
});
