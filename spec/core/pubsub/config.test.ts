/**
 * Tests for lib/core/pubsub/config and lib/core/data-forms: submitted node configuration forms
 * (XEP-0060 §16.4.4) parsed into a configuration, bad values refused, 'max', preconditions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseElement } from '../../../lib/core/xml-frame.js';
import { parseForm } from '../../../lib/core/data-forms.js';
import { applyFields, BASE_NODE_CONFIG, configFields, formFields, itemLimit, meetsPreconditions, NS_NODE_CONFIG } from '../../../lib/core/pubsub/config.js';

const form = (fields: string, type = 'submit') => parseForm(parseElement(`<x xmlns="jabber:x:data" type="${type}">
<field var="FORM_TYPE" type="hidden"><value>${NS_NODE_CONFIG}</value></field>${fields}</x>`));

describe('node configuration', () => {
  it('applies a submitted form over the defaults', () => {
    const fields = formFields(form('<field var="pubsub#max_items"><value>max</value></field><field var="pubsub#access_model"><value>roster</value></field><field var="pubsub#roster_groups_allowed"><value>a</value><value>b</value></field><field var="pubsub#persist_items"><value>false</value></field>'), NS_NODE_CONFIG);
    assert.ok(typeof fields !== 'string');
    const c = applyFields(BASE_NODE_CONFIG, fields, 100);
    assert.ok(!('field' in c));
    assert.equal(c.max_items, 'max');
    assert.equal(c.access_model, 'roster');
    assert.deepEqual(c.roster_groups_allowed, ['a', 'b']);
    assert.equal(c.persist_items, false);
    assert.equal(itemLimit(c, 100), 0, 'a transient node keeps nothing');
    assert.equal(configFields(c)['pubsub#max_items'], 'max');
  });

  it('refuses unknown fields, bad values and max_items beyond the cap', () => {
    for (const [k, v] of [['pubsub#access_model', 'everyone'], ['pubsub#deliver_payloads', 'yes'], ['pubsub#max_items', '101'], ['pubsub#max_items', '-1'], ['pubsub#nope', '1'], ['other', '1']]) {
      const c = applyFields(BASE_NODE_CONFIG, { [k!]: v! }, 100);
      assert.ok('field' in c, `${k}=${v} is refused`);
    }
    assert.equal(typeof formFields(form('', 'form'), NS_NODE_CONFIG), 'string', 'only submit forms');
    assert.equal(typeof formFields(parseForm(parseElement('<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>urn:other</value></field></x>')), NS_NODE_CONFIG), 'string');
  });

  it('compares preconditions field by field (XEP-0060 §7.1.5)', () => {
    const node = applyFields(BASE_NODE_CONFIG, { 'pubsub#access_model': 'presence' }, 100);
    assert.ok(!('field' in node));
    const given = { 'pubsub#access_model': 'presence' };
    assert.equal(meetsPreconditions(node, applyFields(node, given, 100), Object.keys(given)), true);
    const other = { 'pubsub#access_model': 'open' };
    assert.equal(meetsPreconditions(node, applyFields(node, other, 100), Object.keys(other)), false);
    assert.equal(meetsPreconditions(node, applyFields(node, { 'pubsub#bogus': '1' }, 100), ['pubsub#bogus']), false);
  });
});
