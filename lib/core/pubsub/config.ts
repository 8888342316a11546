/**
 * @module pubsub/config
 * Node configuration (XEP-0060 §16.4.4 `pubsub#node_config`): the typed fields this engine
 * honours, their defaults, and the conversions between them, submitted data forms and the
 * `pubsub#` field records of the public contract (NodeConfigFields).
 */
import { buildForm, parseBoolean, type FormField, type ParsedForm } from '../data-forms.js';
import type { Element } from '../xml.js';
import type { NodeConfigFields } from '../pubsub-api.js';

export const NS_NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';
export const NS_PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';

export const ACCESS_MODELS = ['open', 'presence', 'roster', 'whitelist', 'authorize'] as const;
export type AccessModel = typeof ACCESS_MODELS[number];
export const PUBLISH_MODELS = ['publishers', 'subscribers', 'open'] as const;
export type PublishModel = typeof PUBLISH_MODELS[number];
export const SEND_LAST = ['never', 'on_sub', 'on_sub_and_presence'] as const;
export type SendLast = typeof SEND_LAST[number];

/** A node's configuration. `max_items` is a number or 'max' (the service's limit, XEP-0060 §7.1.5). */
export interface NodeConfig {
  readonly title: string;
  readonly max_items: number | 'max';
  readonly persist_items: boolean;
  readonly access_model: AccessModel;
  readonly roster_groups_allowed: readonly string[];
  readonly publish_model: PublishModel;
  readonly deliver_notifications: boolean;
  readonly deliver_payloads: boolean;
  readonly notify_config: boolean;
  readonly notify_delete: boolean;
  readonly notify_retract: boolean;
  readonly notify_sub: boolean;
  readonly send_last_published_item: SendLast;
  readonly itemreply: 'owner' | 'publisher';
  readonly notification_type: 'headline' | 'normal';
}

/** The engine's defaults (Prosody's util/pubsub default node config); owners override them. */
export const BASE_NODE_CONFIG: NodeConfig = Object.freeze({
  title: '',
  max_items: 20,
  persist_items: true,
  access_model: 'open',
  roster_groups_allowed: [],
  publish_model: 'publishers',
  deliver_notifications: true,
  deliver_payloads: true,
  notify_config: false,
  notify_delete: false,
  notify_retract: true,
  notify_sub: false,
  send_last_published_item: 'never',
  itemreply: 'owner',
  notification_type: 'headline',
});

type Kind = 'text' | 'boolean' | 'max' | 'list' | 'multi';
interface FieldSpec { readonly kind: Kind; readonly label: string; readonly choices?: readonly string[] }

/** The fields, by name without the `pubsub#` prefix. */
const FIELDS: Readonly<Record<keyof NodeConfig, FieldSpec>> = {
  title: { kind: 'text', label: 'A friendly name for the node' },
  max_items: { kind: 'max', label: 'Max # of items to persist (or max)' },
  persist_items: { kind: 'boolean', label: 'Persist items to storage' },
  access_model: { kind: 'list', label: 'Specify the subscriber model', choices: ACCESS_MODELS },
  roster_groups_allowed: { kind: 'multi', label: 'Roster groups allowed to subscribe' },
  publish_model: { kind: 'list', label: 'Specify the publisher model', choices: PUBLISH_MODELS },
  deliver_notifications: { kind: 'boolean', label: 'Deliver event notifications' },
  deliver_payloads: { kind: 'boolean', label: 'Deliver payloads with event notifications' },
  notify_config: { kind: 'boolean', label: 'Notify subscribers when the node configuration changes' },
  notify_delete: { kind: 'boolean', label: 'Notify subscribers when the node is deleted' },
  notify_retract: { kind: 'boolean', label: 'Notify subscribers when items are removed from the node' },
  notify_sub: { kind: 'boolean', label: 'Notify owners about new subscribers and unsubscribes' },
  send_last_published_item: { kind: 'list', label: 'When to send the last published item', choices: SEND_LAST },
  itemreply: { kind: 'list', label: 'Whether owners or publisher should receive replies to items', choices: ['owner', 'publisher'] },
  notification_type: { kind: 'list', label: 'Specify the delivery style for notifications', choices: ['headline', 'normal'] },
};

const PREFIX = 'pubsub#';

/** Why a submitted configuration is refused: the field named. */
export interface ConfigError { readonly field: string; readonly text: string }

/**
 * Apply submitted `pubsub#` fields over `base`. Unknown fields and bad values are errors
 * (XEP-0060 §8.2.5.4: not-acceptable); `maxCap` bounds max_items (a larger number is refused).
 */
export function applyFields(base: NodeConfig, fields: NodeConfigFields | ReadonlyMap<string, readonly string[]>, maxCap: number): NodeConfig | ConfigError {
  const out: Record<string, unknown> = { ...base };
  const entries = fields instanceof Map ? [...fields.entries()] : Object.entries(fields);
  for (const [name, raw] of entries as [string, string | readonly string[]][]) {
    const values = typeof raw === 'string' ? [raw] : raw;
    if (!name.startsWith(PREFIX)) return { field: name, text: `Unknown field ${name}` };
    const key = name.slice(PREFIX.length) as keyof NodeConfig;
    const spec = Object.hasOwn(FIELDS, key) ? FIELDS[key] : undefined;
    if (!spec) return { field: name, text: `Unsupported field ${name}` };
    const value = values[0] ?? '';
    switch (spec.kind) {
      case 'text': out[key] = value.slice(0, 1024); break;
      case 'boolean': {
        const b = parseBoolean(value);
        if (b === undefined) return { field: name, text: `${name} is a boolean` };
        out[key] = b;
        break;
      }
      case 'max': {
        if (value === 'max') { out[key] = 'max'; break; }
        if (!/^\d{1,9}$/.test(value)) return { field: name, text: `${name} is a number or 'max'` };
        const n = Number(value);
        if (n > maxCap) return { field: name, text: `${name} is at most ${maxCap}` };
        out[key] = n;
        break;
      }
      case 'list':
        if (!spec.choices!.includes(value)) return { field: name, text: `${name} is one of ${spec.choices!.join(', ')}` };
        out[key] = value;
        break;
      case 'multi': out[key] = values.slice(0, 64).map((v) => v.slice(0, 1024)); break;
    }
  }
  return out as unknown as NodeConfig;
}

/** The configuration as `pubsub#` fields (the contract's NodeConfigFields). */
export function configFields(config: NodeConfig): NodeConfigFields {
  const out: Record<string, string | readonly string[]> = {};
  for (const key of Object.keys(FIELDS) as (keyof NodeConfig)[]) out[PREFIX + key] = fieldValueOf(config, key);
  return out;
}

function fieldValueOf(config: NodeConfig, key: keyof NodeConfig): string | readonly string[] {
  const v = config[key];
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return String(v);
  return v as string | readonly string[];
}

/** Whether `config` has every precondition (XEP-0060 §7.1.5: each field compared as given). */
export function meetsPreconditions(config: NodeConfig, wanted: NodeConfig | ConfigError, given: Iterable<string>): boolean {
  if ('field' in wanted) return false;
  for (const name of given) {
    const key = name.slice(PREFIX.length) as keyof NodeConfig;
    const a = config[key];
    const b = wanted[key];
    if (Array.isArray(a) && Array.isArray(b)) { if (a.length !== b.length || a.some((x, i) => x !== b[i])) return false; }
    else if (a !== b) return false;
  }
  return true;
}

/** The node configuration form (XEP-0060 §8.2.1, §16.4.4). */
export function configForm(config: NodeConfig, type: 'form' | 'result' = 'form'): Element {
  const fields: FormField[] = (Object.keys(FIELDS) as (keyof NodeConfig)[]).map((key) => {
    const spec = FIELDS[key];
    const formType = { text: 'text-single', boolean: 'boolean', max: 'text-single', list: 'list-single', multi: 'list-multi' }[spec.kind];
    return { var: PREFIX + key, type: formType, label: spec.label, value: fieldValueOf(config, key), options: spec.choices };
  });
  return buildForm(type, NS_NODE_CONFIG, fields);
}

/** A submitted configuration form's fields, or why it is refused (XEP-0060 §8.2.4: FORM_TYPE must match). */
export function formFields(form: ParsedForm | undefined, formType: string): ReadonlyMap<string, readonly string[]> | string {
  if (!form) return 'Missing or malformed data form';
  if (form.type === 'cancel') return new Map();
  if (form.type !== 'submit') return 'The form must be of type submit';
  if (form.formType !== undefined && form.formType !== formType) return `FORM_TYPE must be ${formType}`;
  return form.fields;
}

/** The effective item limit of a node: 'max' is the service's cap. */
export function itemLimit(config: NodeConfig, cap: number): number {
  if (!config.persist_items) return 0; // XEP-0060 §4.3: a transient node keeps no items
  return config.max_items === 'max' ? cap : Math.min(config.max_items, cap);
}
