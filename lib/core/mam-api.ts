/**
 * @module mam-api
 * `xmpp-server-core/mam`: Message Archive Management (XEP-0313) for module authors. One
 * mechanism for every archive a module keeps with `module.openArchive(store)` (a user's in
 * `mam`, a room's in `muc_mam`): reading a query (form, #extended ids, RSM paging) into an
 * archive query, sending a page of results with `<fin/>`, the metadata answer, stanza ids
 * (XEP-0359), and background expiry.
 */
export {
  NS_MAM, NS_MAM_EXTENDED, NS_RSM, NS_DATA, FORM_FIELDS, parseQuery, queryFormElement,
} from './mam/query.js';
export type { QueryPlan, QueryError, QueryOptions, WithFilter } from './mam/query.js';
export { NS_FORWARD, NS_DELAY, stamp, page, sendResults, metadataElement } from './mam/results.js';
export type { ResultTarget } from './mam/results.js';
export { NS_SID, addStanzaId, stripStanzaIds, removeStanzaIds, hasStanzaId } from './mam/stanza-id.js';
export { parseExpiry, startExpiry } from './mam/expiry.js';
export { worthArchiving, NS_HINTS } from './mam/eligibility.js';
export type { ExpirySchedule } from './mam/expiry.js';
