/**
 * @module bench/scenarios/growth-mam
 * Archive queries as the archive grows: the owner's archive holds `size` messages (built in
 * storage before the server starts); `units` times, one after the other, the owner asks for
 * the last page of 50 with one contact (XEP-0313 §4.1.2 `with`, XEP-0059 §2.5 `<before/>`);
 * a query is done at its result iq (the <fin/>), with every page's <result/> counted.
 * Cost unit: a query.
 */
import { connectionFor } from '../client/pool.js';
import { attribute } from '../client/stanza-text.js';
import type { GrowthRequest } from '../protocol.js';
import { MAM_PAGE, OWNER, mamContacts, mamMessagesWith } from './growth-layout.js';
import { measured, note, until, type StepTally } from './growth.js';

const NS_MAM = 'urn:xmpp:mam:2';

function queryText(q: number, contact: string): string {
  return `<iq xmlns="jabber:client" type="set" id="mam${q}"><query xmlns="${NS_MAM}" queryid="q${q}">`
    + `<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>${NS_MAM}</value></field>`
    + `<field var="with"><value>${contact}</value></field></x>`
    + `<set xmlns="http://jabber.org/protocol/rsm"><max>${MAM_PAGE}</max><before/></set></query></iq>`;
}

export async function runGrowthMam(req: GrowthRequest, t: StepTally, progress: (text: string) => void): Promise<void> {
  const c = connectionFor(req, OWNER);
  c.onStanza = () => {};
  await c.connect();
  const contacts = mamContacts(req.size);
  let results = 0;
  let done = '';
  c.onStanza = (text) => {
    if (text.startsWith('<message') && text.includes('<result') && text.includes(NS_MAM)) results++;
    else if (text.startsWith('<iq')) done = `${attribute(text, 'id')} ${attribute(text, 'type')}`;
  };
  progress(`${req.units} queries of an archive of ${req.size} messages`);
  await measured(req, t, async () => {
    for (let q = 0; q < req.units; q++) {
      const with_ = (q * 7) % contacts;
      const want = Math.min(MAM_PAGE, mamMessagesWith(req.size, with_));
      results = 0;
      done = '';
      c.send(queryText(q, `contact${with_}@${req.target.domain}`));
      if (!(await until(() => done !== '', 30_000))) note(t, `query ${q}: no answer`);
      else if (done !== `mam${q} result`) note(t, `query ${q}: ${done}`);
      t.expected += want;
      t.delivered += Math.min(want, results);
      if (results > want) t.duplicated += results - want;
      t.work++;
    }
  });
  await c.close();
}
