/**
 * The XEP-0045 §5 privilege tables as functions: every row of the tables the protocol scripts
 * cannot reach one by one (default roles per room type, who changes whose role or affiliation).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  affiliationChangeRefusal, affiliationLimitRefusal, affiliationListRefusal, defaultRole, inviteRefusal, lastOwnerRefusal, roleChangeRefusal, roleListRefusal,
} from '../../../lib/modules/muc/privileges.js';
import type { Affiliation, Role } from '../../../lib/core/muc-api.js';

const cond = (r: { condition: string } | undefined): string => r?.condition ?? 'ok';

describe('muc privileges', () => {
  it('§5.1.2: default roles by affiliation and room type', () => {
    const rows: [Affiliation, boolean, boolean, Role][] = [
      ['none', true, false, 'visitor'], ['member', true, false, 'participant'], ['admin', true, false, 'moderator'], ['owner', true, false, 'moderator'],
      ['none', false, false, 'participant'], ['member', false, false, 'participant'],
      ['none', false, true, 'none'], ['member', false, true, 'participant'], ['admin', false, true, 'moderator'],
      ['outcast', false, false, 'none'], ['outcast', true, true, 'none'],
    ];
    for (const [affiliation, moderated, membersOnly, role] of rows) {
      assert.equal(defaultRole(affiliation, { moderated, membersOnly }), role, `${affiliation} moderated=${moderated} membersOnly=${membersOnly}`);
    }
  });

  it('§8.2–8.4, §9.6–9.7: role changes', () => {
    const mod = (affiliation: Affiliation) => ({ affiliation, role: 'moderator' as Role });
    const occ = (affiliation: Affiliation, role: Role) => ({ affiliation, role });
    // only moderators
    assert.equal(cond(roleChangeRefusal(occ('member', 'participant'), occ('none', 'participant'), 'none', false)), 'forbidden');
    // a moderator kicks and silences participants and visitors of no higher affiliation
    assert.equal(cond(roleChangeRefusal(mod('none'), occ('none', 'participant'), 'none', false)), 'ok');
    assert.equal(cond(roleChangeRefusal(mod('none'), occ('none', 'participant'), 'visitor', false)), 'ok');
    assert.equal(cond(roleChangeRefusal(mod('none'), occ('none', 'visitor'), 'participant', false)), 'ok');
    assert.equal(cond(roleChangeRefusal(mod('none'), occ('member', 'participant'), 'none', false)), 'not-allowed');
    // moderator status is an admin's to give or take
    assert.equal(cond(roleChangeRefusal(mod('none'), occ('none', 'participant'), 'moderator', false)), 'forbidden');
    assert.equal(cond(roleChangeRefusal(mod('none'), occ('none', 'moderator'), 'none', false)), 'forbidden');
    assert.equal(cond(roleChangeRefusal(mod('admin'), occ('member', 'participant'), 'moderator', false)), 'ok');
    assert.equal(cond(roleChangeRefusal(mod('admin'), occ('member', 'moderator'), 'participant', false)), 'ok');
    // admins and owners keep voice and moderator status; only a higher affiliation kicks them
    assert.equal(cond(roleChangeRefusal(mod('admin'), occ('owner', 'moderator'), 'none', false)), 'not-allowed');
    assert.equal(cond(roleChangeRefusal(mod('admin'), occ('admin', 'moderator'), 'none', false)), 'not-allowed');
    assert.equal(cond(roleChangeRefusal(mod('admin'), occ('admin', 'moderator'), 'participant', false)), 'not-allowed');
    assert.equal(cond(roleChangeRefusal(mod('owner'), occ('admin', 'moderator'), 'visitor', false)), 'not-allowed');
    assert.equal(cond(roleChangeRefusal(mod('owner'), occ('admin', 'moderator'), 'none', false)), 'ok');
    assert.equal(cond(roleChangeRefusal(mod('owner'), occ('owner', 'moderator'), 'none', false)), 'not-allowed');
    // kicking oneself is allowed; other changes of one's own role are not
    assert.equal(cond(roleChangeRefusal(mod('none'), mod('none'), 'none', true)), 'ok');
    assert.equal(cond(roleChangeRefusal(mod('admin'), mod('admin'), 'visitor', true)), 'not-allowed');
  });

  it('§9.1–9.5, §10.3–10.7: affiliation changes', () => {
    assert.equal(cond(affiliationChangeRefusal('member', 'none', 'outcast', false)), 'forbidden');
    assert.equal(cond(affiliationChangeRefusal('none', 'none', 'member', false)), 'forbidden');
    assert.equal(cond(affiliationChangeRefusal('admin', 'none', 'outcast', false)), 'ok');
    assert.equal(cond(affiliationChangeRefusal('admin', 'member', 'none', false)), 'ok');
    assert.equal(cond(affiliationChangeRefusal('admin', 'none', 'admin', false)), 'forbidden');
    assert.equal(cond(affiliationChangeRefusal('admin', 'none', 'owner', false)), 'forbidden');
    assert.equal(cond(affiliationChangeRefusal('admin', 'owner', 'outcast', false)), 'not-allowed');
    assert.equal(cond(affiliationChangeRefusal('admin', 'admin', 'member', false)), 'not-allowed');
    assert.equal(cond(affiliationChangeRefusal('admin', 'admin', 'outcast', true)), 'conflict');
    assert.equal(cond(affiliationChangeRefusal('owner', 'owner', 'outcast', true)), 'conflict');
    assert.equal(cond(affiliationChangeRefusal('owner', 'owner', 'admin', false)), 'ok');
    assert.equal(cond(affiliationChangeRefusal('owner', 'none', 'owner', false)), 'ok');
    assert.equal(cond(lastOwnerRefusal(0)), 'conflict');
    assert.equal(cond(lastOwnerRefusal(1)), 'ok');
    // muc_max_affiliations: growth past the limit is refused, shrinking or replacing never
    assert.equal(cond(affiliationLimitRefusal(2, 1, 2)), 'resource-constraint');
    assert.equal(cond(affiliationLimitRefusal(1, 1, 2)), 'ok');
    assert.equal(cond(affiliationLimitRefusal(5, 0, 2)), 'ok');
    assert.equal(cond(affiliationLimitRefusal(5, -1, 2)), 'ok');
  });

  it('§8.5, §9.2, §9.5, §10.5: who reads which list', () => {
    const open = { membersOnly: false, whois: 'moderators' as const };
    const privateRoom = { membersOnly: true, whois: 'anyone' as const };
    assert.equal(cond(affiliationListRefusal('admin', 'member', open)), 'ok');
    assert.equal(cond(affiliationListRefusal('admin', 'outcast', open)), 'ok');
    assert.equal(cond(affiliationListRefusal('admin', 'admin', open)), 'ok');
    assert.equal(cond(affiliationListRefusal('admin', 'owner', open)), 'forbidden');
    assert.equal(cond(affiliationListRefusal('owner', 'owner', open)), 'ok');
    assert.equal(cond(affiliationListRefusal('member', 'member', open)), 'forbidden');
    assert.equal(cond(affiliationListRefusal('member', 'member', privateRoom)), 'ok');
    assert.equal(cond(affiliationListRefusal('member', 'owner', privateRoom)), 'ok');
    assert.equal(cond(affiliationListRefusal('member', 'outcast', privateRoom)), 'forbidden');
    assert.equal(cond(affiliationListRefusal('none', 'member', privateRoom)), 'forbidden');
    assert.equal(cond(roleListRefusal('moderator')), 'ok');
    assert.equal(cond(roleListRefusal('participant')), 'forbidden');
  });

  it('§7.8.2, §9.5: who may invite', () => {
    const open = { membersOnly: false, allowInvites: false };
    const closed = { membersOnly: true, allowInvites: false };
    const closedOpenInvites = { membersOnly: true, allowInvites: true };
    assert.equal(cond(inviteRefusal({ affiliation: 'none', role: 'participant' }, open)), 'ok');
    assert.equal(cond(inviteRefusal({ affiliation: 'none', role: 'visitor' }, open)), 'forbidden');
    assert.equal(cond(inviteRefusal({ affiliation: 'member', role: 'participant' }, closed)), 'forbidden');
    assert.equal(cond(inviteRefusal({ affiliation: 'admin', role: 'moderator' }, closed)), 'ok');
    assert.equal(cond(inviteRefusal({ affiliation: 'member', role: 'participant' }, closedOpenInvites)), 'ok');
  });
});
