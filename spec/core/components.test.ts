/**
 * Components (Prosody's `Component "name" "module"`): the config section and its errors, which
 * modules run on a component, stanzas routed to the component's module over a real c2s
 * connection, the component listed in the host's disco#items, its own disco#info, options read
 * from its section, and a client that cannot log in to a component.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Config } from '../../lib/core/config.js';
import { isServerError } from '../../lib/core/errors.js';
import { createServer } from '../../lib/index.js';
import type { RawConfig } from '../../lib/core/config.js';
import { MemoryDriver } from '../../lib/core/storage/memory.js';
import { defineModule, option, xml, errorReply, type StanzaEvent } from '../../lib/core/api.js';
import { startImServer, type ImServer } from '../helpers/im-server.js';
import { rawStream } from '../helpers/im-clients.js';
import { captureLog } from '../helpers/log.js';

/** A component module: answers pings to the component and echoes messages to its bare JIDs. */
const echo = defineModule({
  name: 'echo_component',
  depends: ['disco'],
  options: { echo_prefix: option.string({ default: 'echo: ', doc: 'Prefix of echoed bodies.' }) },
  load(module) {
    module.provides('identity', { category: 'component', type: 'generic', name: 'Echo' });
    module.provides('feature', 'urn:example:echo');
    module.hook('iq-get/host/urn:xmpp:ping:ping', ({ stanza }: StanzaEvent) => {
      module.server.route(xml('iq', { type: 'result', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to }));
      return true;
    });
    module.hook('message/bare', ({ stanza }: StanzaEvent) => {
      const body = stanza.getChildText('body');
      if (body === null) {
        module.server.route(errorReply(stanza, 'modify', 'bad-request'));
        return true;
      }
      module.server.route(xml('message', { type: 'chat', to: stanza.attrs.from, from: stanza.attrs.to }, xml('body', {}, module.options.echo_prefix + body)));
      return true;
    });
  },
});

const fails = (fn: () => unknown, path: RegExp): void => {
  assert.throws(fn, (err: unknown) => isServerError(err) && err.code === 'XS_ERR_CONFIG_INVALID' && path.test(err.message), `expected XS_ERR_CONFIG_INVALID matching ${String(path)}`);
};

describe('components: config', () => {
  it('reads Component sections with their module and options, apart from VirtualHosts', () => {
    const c = new Config({ VirtualHost: { localhost: {} }, Component: { 'conference.localhost': { module: 'muc', name: 'Rooms', max_history_messages: 20 } } });
    assert.deepEqual(c.hostNames(), ['localhost']);
    assert.deepEqual(c.componentNames(), ['conference.localhost']);
    assert.deepEqual(c.servedNames(), ['localhost', 'conference.localhost']);
    assert.equal(c.components.get('conference.localhost')?.module, 'muc');
    assert.equal(c.raw('conference.localhost', 'max_history_messages'), 20);
    assert.equal(c.raw('conference.localhost', 'module'), undefined, 'module is the section\'s kind, not an option');
    assert.equal(c.source('conference.localhost', 'name'), 'host');
    assert.ok(c.keys().some((k) => k.key === 'name' && k.where === 'Component conference.localhost'));
  });

  it('refuses a malformed Component section, naming the component and what was expected', () => {
    fails(() => new Config({ Component: [] } as unknown as RawConfig), /Component/);
    fails(() => new Config({ Component: { 'Bad Name': { module: 'muc' } } }), /lower-case domain names/);
    fails(() => new Config({ Component: { 'muc.localhost': {} } }), /Component\.muc\.localhost\.module/);
    fails(() => new Config({ Component: { 'muc.localhost': { module: 42 } } }), /Component\.muc\.localhost\.module/);
    fails(() => new Config({ Component: { 'muc.localhost': 'muc' } } as unknown as RawConfig), /Component\.muc\.localhost/);
    fails(() => new Config({ VirtualHost: { localhost: {} }, Component: { localhost: { module: 'muc' } } }), /not also a VirtualHost/);
    fails(() => new Config({ Component: { 'muc.localhost': { module: 'muc', VirtualHost: {} } } }), /do not nest/);
  });

  it('runs only the component\'s module and its own modules_enabled there, nothing global or autoloaded', () => {
    const server = createServer({
      modules_enabled: ['roster', 'disco', 'ping'],
      VirtualHost: { localhost: {} },
      Component: { 'echo.localhost': { module: 'echo_component', modules_enabled: ['version'] } },
    }, { logger: captureLog('silent').logger, storage: new MemoryDriver(), modules: [echo] });
    assert.deepEqual(server.modules.enabledNames('echo.localhost'), ['echo_component', 'version']);
    assert.deepEqual(server.modules.plan('echo.localhost').map((s) => s.name), ['disco', 'echo_component', 'version']);
    assert.ok(server.modules.enabledNames('localhost').includes('c2s'));
    assert.equal(server.isComponent('echo.localhost'), true);
    assert.equal(server.isLocalHost('echo.localhost'), false, 'a component is not a VirtualHost');
    assert.equal(server.servesHost('echo.localhost'), true);
    assert.deepEqual(server.hostNames, ['localhost']);
  });

  it('fails at start when the component\'s module is unknown, naming module and component', async () => {
    const server = createServer({ VirtualHost: { localhost: {} }, Component: { 'x.localhost': { module: 'no_such_module' } } },
      { logger: captureLog('silent').logger, storage: new MemoryDriver() });
    await assert.rejects(server.start(), (err: unknown) => isServerError(err) && err.code === 'XS_ERR_MODULE_NOT_FOUND' && /no_such_module/.test(err.message) && /x\.localhost/.test(err.message));
  });

  it('validates a component\'s options against its module at start', async () => {
    const server = createServer({ VirtualHost: { localhost: {} }, Component: { 'echo.localhost': { module: 'echo_component', echo_prefix: 7 } } },
      { logger: captureLog('silent').logger, storage: new MemoryDriver(), modules: [echo] });
    await assert.rejects(server.start(), (err: unknown) => isServerError(err) && err.code === 'XS_ERR_OPTION_INVALID' && /echo_prefix/.test(err.message) && /echo\.localhost/.test(err.message));
  });
});

describe('components: routing over a real connection', () => {
  let t: ImServer;
  before(async () => {
    t = await startImServer(['juliet'], {
      Component: { 'echo.localhost': { module: 'echo_component', name: 'Echo service', echo_prefix: '> ' } },
    }, [echo]);
  });
  after(() => t.stop());

  it('routes a client\'s stanzas to the component\'s module and its answers back', async () => {
    const c = await t.raw('juliet');
    const pong = await c.iq(xml('iq', { type: 'get', to: 'echo.localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(pong.attrs.from, 'echo.localhost');
    await c.send(xml('message', { to: 'room@echo.localhost', type: 'chat' }, xml('body', {}, 'hello')));
    const back = await c.next((el) => el.name === 'message' && el.attrs.from === 'room@echo.localhost', 'the echo');
    assert.equal(back.getChildText('body'), '> hello', 'the component read echo_prefix from its own section');
  });

  it('answers service-unavailable (not remote-server-not-found) for what the component does not handle', async () => {
    const c = await t.raw('juliet', 'r2');
    await assert.rejects(c.iq(xml('iq', { type: 'get', to: 'echo.localhost' }, xml('query', { xmlns: 'jabber:iq:last' }))), /service-unavailable/);
    await assert.rejects(c.iq(xml('iq', { type: 'get', to: 'nowhere.example' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))), /remote-server-not-found/);
  });

  it('is listed in the host\'s disco#items with its name, and answers disco#info with its module\'s identity only', async () => {
    const c = await t.raw('juliet', 'r3');
    const items = await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    const listed = items.getChild('query')!.getChildren('item').map((i) => `${String(i.attrs.jid)}|${String(i.attrs.name)}`);
    assert.deepEqual(listed, ['echo.localhost|Echo service']);
    const info = await c.iq(xml('iq', { type: 'get', to: 'echo.localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const q = info.getChild('query')!;
    assert.deepEqual(q.getChildren('identity').map((i) => `${String(i.attrs.category)}/${String(i.attrs.type)}`), ['component/generic']);
    assert.ok(q.getChildren('feature').some((f) => f.attrs.var === 'urn:example:echo'));
  });

  it('does not let a client open a stream to a component (it is not a VirtualHost)', async () => {
    const s = await rawStream(t.port).catch(() => undefined);
    assert.ok(s, 'a stream to localhost opens');
    await s.close();
    const { connect } = await import('node:net');
    const socket = connect({ host: '127.0.0.1', port: t.port });
    let data = '';
    socket.on('data', (d: Buffer) => { data += d.toString('utf8'); });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='echo.localhost' version='1.0'>");
    await new Promise((resolve) => socket.once('close', resolve));
    assert.match(data, /host-unknown/);
  });
});
