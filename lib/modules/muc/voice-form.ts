/**
 * @module muc/voice-form
 * Voice requests (XEP-0045 §7.13, §8.6; FORM_TYPE muc#request §15.5.2): the form a moderator
 * receives to approve a visitor's request, and reading a request or an approval.
 */
import { buildForm, fieldValue, parseBoolean, parseForm, type Element } from '../../core/api.js';
import { NS_MUC_REQUEST } from '../../core/muc-api.js';

/** What a muc#request form says: the role asked for, whose request, and (in an approval) the answer. */
export interface VoiceRequestForm {
  readonly role: string | undefined;
  readonly jid: string | undefined;
  readonly nick: string | undefined;
  /** muc#request_allow: true only when a moderator approves. */
  readonly allow: boolean;
  /** The form was submitted (a request or an approval), not cancelled. */
  readonly submitted: boolean;
}

/** A muc#request form in a message, or undefined when the message carries none. */
export function readVoiceForm(x: Element | undefined): VoiceRequestForm | undefined {
  const form = parseForm(x);
  if (!form || form.formType !== NS_MUC_REQUEST) return undefined;
  return {
    role: fieldValue(form, 'muc#role'),
    jid: fieldValue(form, 'muc#jid'),
    nick: fieldValue(form, 'muc#roomnick'),
    allow: parseBoolean(fieldValue(form, 'muc#request_allow')) === true,
    submitted: form.type === 'submit',
  };
}

/** §8.6: the approval form sent to the room's moderators for a visitor's request. */
export function approvalForm(jid: string, nick: string): Element {
  return buildForm('form', NS_MUC_REQUEST, [
    { var: 'muc#role', type: 'list-single', label: 'Requested role', value: 'participant', options: ['participant'] },
    { var: 'muc#jid', type: 'jid-single', label: 'User ID', value: jid },
    { var: 'muc#roomnick', type: 'text-single', label: 'Room Nickname', value: nick },
    { var: 'muc#request_allow', type: 'boolean', label: 'Grant voice to this person?', value: 'false' },
  ], 'Voice request');
}
