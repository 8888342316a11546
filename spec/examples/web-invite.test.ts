/**
 * Tests for examples/web/invite.ts: which fragments the chat page takes for an invitation
 * link (the landing page's `#invite&preauth=...&domain=...`), and which it ignores.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseInviteLink } from '../../examples/web/invite.js';

describe('examples/web invitation links', () => {
  it('reads the token, the domain, a fixed username and the inviter', () => {
    assert.deepEqual(parseInviteLink('#invite&preauth=abc_DEF-123&domain=example.org'), { token: 'abc_DEF-123', domain: 'example.org' });
    assert.deepEqual(parseInviteLink('#invite&preauth=tok&domain=example.org&username=juliet&inviter=romeo%40example.org'),
      { token: 'tok', domain: 'example.org', username: 'juliet', inviter: 'romeo@example.org' });
  });

  it('ignores other fragments and malformed links', () => {
    for (const hash of ['', '#', '#chat', '#invite', '#invite&domain=example.org', '#invite&preauth=tok',
      '#invite&preauth=a%20b&domain=example.org', "#invite&preauth=t'><x&domain=example.org", '#invite&preauth=tok&domain=evil.org/path',
      '#invite&preauth=tok&domain=a@b']) {
      assert.equal(parseInviteLink(hash), undefined, hash);
    }
  });
});
