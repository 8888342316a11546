/**
 * @module data-forms
 * Data Forms (XEP-0004) for modules: read a submitted form into its fields, and build a form
 * (or a result) with its FORM_TYPE (XEP-0068). Values stay strings; a field with several
 * `<value/>` children (list-multi, jid-multi, text-multi) keeps them all.
 */
import { xml, type Element } from './xml.js';

export const NS_DATA_FORMS = 'jabber:x:data';

/** A parsed form: its type, FORM_TYPE and each field's values by var. */
export interface ParsedForm {
  readonly type: string;
  readonly formType: string | undefined;
  /** Each field's values (in order), by var; FORM_TYPE excluded. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
}

/** One field of a form to build (XEP-0004 §3.2). */
export interface FormField {
  readonly var: string;
  readonly type?: string;
  readonly label?: string;
  /** One value, or several (list-multi and the like); undefined for none. */
  readonly value?: string | readonly string[];
  /** Choices of a list-single / list-multi field, as [value, label] or value. */
  readonly options?: readonly (string | readonly [string, string])[];
}

/** Limits on what a form may hold (bad input never grows memory unboundedly). */
const MAX_FIELDS = 256;
const MAX_VALUES = 256;

/**
 * Parse an `<x xmlns='jabber:x:data'/>` element; undefined when it is not a form or exceeds
 * the limits (too many fields or values). XEP-0004 §3.4: a field without var is ignored.
 */
export function parseForm(x: Element | undefined): ParsedForm | undefined {
  if (!x || x.name !== 'x' || x.attrs.xmlns !== NS_DATA_FORMS) return undefined;
  const fields = new Map<string, string[]>();
  let formType: string | undefined;
  let count = 0;
  for (const field of x.getChildren('field')) {
    const name = field.attrs.var as string | undefined;
    if (name === undefined) continue;
    if (++count > MAX_FIELDS) return undefined;
    const values = field.getChildren('value').map((v) => v.getText());
    if (values.length > MAX_VALUES) return undefined;
    if (name === 'FORM_TYPE') { formType = values[0]; continue; }
    fields.set(name, values);
  }
  return { type: (x.attrs.type as string | undefined) ?? 'form', formType, fields };
}

/** The first value of a field, if present. */
export function fieldValue(form: ParsedForm, name: string): string | undefined {
  return form.fields.get(name)?.[0];
}

/** XEP-0004 §3.3: boolean values are "0"/"1"/"false"/"true"; undefined for anything else. */
export function parseBoolean(value: string | undefined): boolean | undefined {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return undefined;
}

/** Build a form (`type` form, submit or result) with a hidden FORM_TYPE first (XEP-0068 §3). */
export function buildForm(type: 'form' | 'submit' | 'result', formType: string | undefined, fields: readonly FormField[], title?: string): Element {
  const x = xml('x', { xmlns: NS_DATA_FORMS, type });
  if (title !== undefined) x.append(xml('title', {}, title));
  if (formType !== undefined) x.append(xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)));
  for (const f of fields) {
    const field = xml('field', { var: f.var, type: type === 'submit' ? undefined : f.type, label: type === 'form' ? f.label : undefined });
    const values = f.value === undefined ? [] : typeof f.value === 'string' ? [f.value] : f.value;
    for (const v of values) field.append(xml('value', {}, v));
    if (type === 'form') {
      for (const o of f.options ?? []) {
        const [value, label] = typeof o === 'string' ? [o, undefined] : o;
        field.append(xml('option', { label }, xml('value', {}, value)));
      }
    }
    x.append(field);
  }
  return x;
}
