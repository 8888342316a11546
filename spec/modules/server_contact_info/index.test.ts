/**
 * Tests for lib/modules/server_contact_info (XEP-0157): contact_info becomes a serverinfo data
 * form in the host's disco#info (XEP-0128), admins are the fallback, and a bad contact_info
 * refuses the start naming the option.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml, type Element } from '../../../lib/core/xml.js';
import { isServerError } from '../../../lib/index.js';
import { startImServer } from '../../helpers/im-server.js';
import type { ImClient } from '../../helpers/im-clients.js';

const INFO = 'http://jabber.org/protocol/disco#info';
const MODULES = ['roster', 'saslauth', 'disco', 'server_contact_info'];
const info = (c: ImClient): Promise<Element> => c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: INFO })));

/** The serverinfo form's fields: var -> values. */
function contactFields(reply: Element): Record<string, string[]> {
  const forms = reply.getChild('query', INFO)!.getChildren('x', 'jabber:x:data');
  const form = forms.find((f) => f.getChildren('field').some((x) => x.attrs.var === 'FORM_TYPE' && x.getChildText('value') === 'http://jabber.org/network/serverinfo'));
  assert.ok(form, 'a serverinfo form');
  assert.equal(form.attrs.type, 'result');
  return Object.fromEntries(form.getChildren('field').map((f) => [f.attrs.var as string, f.getChildren('value').map((v) => v.getText())]));
}

describe('server_contact_info (XEP-0157)', () => {
  it('lists the configured addresses by type in disco#info, after the features', async (t) => {
    const s = await startImServer(['alice'], {
      modules_enabled: MODULES,
      contact_info: { abuse: ['mailto:abuse@example.org', 'xmpp:abuse@example.org'], support: ['https://example.org/support'] },
    });
    t.after(() => s.stop());
    const a = await s.xmppjs('alice', 'x');
    const r = await info(a);
    assert.deepEqual(contactFields(r), {
      FORM_TYPE: ['http://jabber.org/network/serverinfo'],
      'abuse-addresses': ['mailto:abuse@example.org', 'xmpp:abuse@example.org'],
      'support-addresses': ['https://example.org/support'],
    });
    const names = r.getChild('query', INFO)!.getChildElements().map((c) => c.name);
    assert.equal(names.at(-1), 'x', 'XEP-0128: the form follows identities and features');
  });

  it('falls back to the admins as admin addresses', async (t) => {
    const s = await startImServer(['alice'], { modules_enabled: MODULES, admins: ['root@localhost'] });
    t.after(() => s.stop());
    const a = await s.raw('alice', 'x');
    assert.deepEqual(contactFields(await info(a))['admin-addresses'], ['xmpp:root@localhost']);
  });

  it('refuses an unknown type or a value that is not a URI, naming contact_info', async () => {
    for (const bad of [{ sales: 'mailto:x@example.org' }, { complaints: ['mailto:x@example.org'] }, { abuse: ['not a uri'] }]) {
      await assert.rejects(startImServer([], { modules_enabled: MODULES, contact_info: bad }),
        (err: unknown) => isServerError(err, 'XS_ERR_OPTION_INVALID') && /contact_info/.test(err.message));
    }
  });
});
