/**
 * Tests for lib/core/stream-errors.ts: the table holds exactly the RFC 6120 §4.9.3
 * conditions, each with a text, a sendable WebSocket close code and a trigger; unknown
 * conditions fall back to undefined-condition (RFC 6120 §4.9.2).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  STREAM_ERRORS, STREAM_ERROR_CONDITIONS, NORMAL_CLOSE_CODE, closeCodeFor, defaultTextFor, isStreamErrorCondition,
} from '../../lib/core/stream-errors.js';
import { streamErrorElement } from '../../lib/core/session-elements.js';
import { serialize } from '../../lib/core/xml.js';

// RFC 6120 §4.9.3.1 - §4.9.3.25, in order.
const RFC_6120 = [
  'bad-format', 'bad-namespace-prefix', 'conflict', 'connection-timeout', 'host-gone', 'host-unknown',
  'improper-addressing', 'internal-server-error', 'invalid-from', 'invalid-namespace', 'invalid-xml',
  'not-authorized', 'not-well-formed', 'policy-violation', 'remote-connection-failed', 'reset',
  'resource-constraint', 'restricted-xml', 'see-other-host', 'system-shutdown', 'undefined-condition',
  'unsupported-encoding', 'unsupported-feature', 'unsupported-stanza-type', 'unsupported-version',
];

describe('stream errors', () => {
  it('has one row per RFC 6120 condition, in RFC order', () => {
    assert.deepEqual([...STREAM_ERROR_CONDITIONS], RFC_6120);
  });

  it('every row has a text, a trigger, and a close code a server may send (RFC 6455 §7.4)', () => {
    for (const condition of STREAM_ERROR_CONDITIONS) {
      const row = STREAM_ERRORS[condition];
      assert.ok(row.text.length > 5, condition);
      assert.ok(row.trigger.length > 5, condition);
      assert.ok(row.closeCode >= 1000 && row.closeCode <= 1014, `${condition}: ${row.closeCode}`);
      assert.ok(![1004, 1005, 1006, 1010].includes(row.closeCode), `${condition}: ${row.closeCode} is reserved or client-only`);
    }
  });

  it('maps conditions to close codes; a clean close is 1000 and unknown conditions are undefined-condition', () => {
    assert.equal(closeCodeFor(), NORMAL_CLOSE_CODE);
    assert.equal(closeCodeFor('system-shutdown'), 1001);
    assert.equal(closeCodeFor('not-well-formed'), 1007);
    assert.equal(closeCodeFor('policy-violation'), 1008);
    assert.equal(closeCodeFor('resource-constraint'), 1013);
    assert.equal(closeCodeFor('no-such-thing'), STREAM_ERRORS['undefined-condition'].closeCode);
    assert.equal(defaultTextFor('no-such-thing'), STREAM_ERRORS['undefined-condition'].text);
    assert.equal(isStreamErrorCondition('conflict'), true);
    assert.equal(isStreamErrorCondition('toString'), false);
  });

  it('builds <stream:error/> with the condition and a text in the streams namespace', () => {
    assert.equal(
      serialize(streamErrorElement('conflict', 'Replaced', 'de')),
      '<stream:error xmlns:stream="http://etherx.jabber.org/streams"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>'
      + '<text xmlns="urn:ietf:params:xml:ns:xmpp-streams" xml:lang="de">Replaced</text></stream:error>',
    );
    assert.match(serialize(streamErrorElement('made-up')), /<undefined-condition [^>]*\/><text [^>]*>The stream failed/);
  });
});
