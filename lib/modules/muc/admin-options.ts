/**
 * @module muc/admin-options
 * The options of room administration, registration, invitations and voice requests (merged
 * into the muc module's options). Prosody's name where Prosody has the setting.
 */
import { option } from '../../core/api.js';

export const MUC_ADMIN_OPTIONS = {
  allow_unaffiliated_register: option.boolean({
    default: false,
    doc: "Users with no affiliation may register with a room (XEP-0045 §7.10), becoming members with a reserved nickname (Prosody's name); otherwise only affiliated users reserve a nickname.",
  }),
  muc_max_admin_items: option.integer({
    default: 100, min: 1, max: 10000,
    doc: 'Most items one muc#admin request changes, and most invitations one message carries; more are refused with not-acceptable.',
  }),
  muc_max_affiliations: option.integer({
    default: 10000, min: 1,
    doc: 'Most affiliated JIDs (owners, admins, members, outcasts) one room keeps; an affiliation, registration or invitation that would add one more is refused with resource-constraint.',
  }),
  muc_invitations_remembered: option.integer({
    default: 1000, min: 0,
    doc: "Invitations the component remembers (the latest) so that one bounced by the invitee's server is reported to the inviter with item-not-found (XEP-0045 §7.8.2).",
  }),
  muc_voice_request_interval: option.integer({
    default: 60, min: 0,
    doc: "Seconds between two voice requests (XEP-0045 §7.13) of one visitor; a sooner one is refused with policy-violation (the moderators are not flooded).",
  }),
};
