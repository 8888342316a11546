/**
 * @module muc/register-form
 * The room registration form (XEP-0045 §7.10, FORM_TYPE muc#register §15.5.1): what the room
 * asks (a nickname, as Prosody does), and reading a submission into the nickname to reserve.
 */
import { buildForm, fieldValue, parseForm, xml, NS_DATA_FORMS, type Element, type FormField } from '../../core/api.js';
import { NS_MUC_REGISTER } from '../../core/muc-api.js';
import { normaliseNick } from './admin-items.js';
import type { Refusal } from './privileges.js';

export const ROOMNICK_FIELD = 'muc#register_roomnick';

/** §7.10: the registration form a room returns to `jabber:iq:register` get. */
export function registrationForm(roomName: string): Element {
  const fields: FormField[] = [{ var: ROOMNICK_FIELD, type: 'text-single', label: 'Desired Nickname' }];
  const form = buildForm('form', NS_MUC_REGISTER, fields, roomName ? `${roomName} registration` : 'Room registration');
  // XEP-0004 §3.2: the nickname is required
  form.getChildByAttr('var', ROOMNICK_FIELD)?.append(xml('required'));
  return form;
}

/**
 * §7.10: the nickname a submitted registration form asks for, normalised, or the refusal:
 * bad-request when the form is missing, of another FORM_TYPE, or has no valid nickname.
 */
export function submittedNick(query: Element): string | Refusal {
  const x = query.getChild('x', NS_DATA_FORMS);
  const form = parseForm(x);
  if (!form) return { type: 'modify', condition: 'bad-request', text: 'Expected a muc#register data form' };
  if (form.type !== 'submit' || form.formType !== NS_MUC_REGISTER) return { type: 'modify', condition: 'bad-request', text: 'Expected a submitted muc#register form' };
  const raw = fieldValue(form, ROOMNICK_FIELD);
  const nick = raw === undefined || raw === '' ? undefined : normaliseNick(raw);
  if (nick === undefined) return { type: 'modify', condition: 'bad-request', text: 'A valid muc#register_roomnick is required' };
  return nick;
}
