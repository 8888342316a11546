/**
 * @module options
 * Typed option specs: option.boolean/integer/number/string/array/set/enum/record/custom.
 * A spec parses a raw config value (no coercion) and describes what it expects, so the
 * module manager can refuse a module with XS_ERR_OPTION_INVALID naming all of that.
 */

/** Where an option may be set: 'host' options are looked up host section first, then global. */
export type OptionScope = 'global' | 'host';

export interface OptionSpec<T> {
  readonly kind: string;
  readonly default: T;
  /** Human text for messages and the README: "an integer >= 10000". */
  readonly describe: string;
  readonly scope: OptionScope;
  readonly doc?: string;
  /** Returns the parsed value, or `INVALID` when the raw value does not fit. */
  parse(raw: unknown): T | typeof INVALID;
}

/** Returned by OptionSpec.parse for a value that does not fit the spec. */
export const INVALID: unique symbol = Symbol('invalid option');

export type OptionSpecs = Readonly<Record<string, OptionSpec<unknown>>>;
export type OptionValues<S extends OptionSpecs> = { readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

interface Common<T> {
  default: T;
  scope?: OptionScope;
  doc?: string;
}

function make<T>(kind: string, common: Common<T>, describe: string, parse: (raw: unknown) => T | typeof INVALID): OptionSpec<T> {
  return Object.freeze({ kind, default: common.default, describe, scope: common.scope ?? 'host', doc: common.doc, parse });
}

function bounds(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

function inBounds(n: number, min?: number, max?: number): boolean {
  return (min === undefined || n >= min) && (max === undefined || n <= max);
}

function boolean(o: Common<boolean>): OptionSpec<boolean> {
  return make('boolean', o, 'a boolean (true or false)', (raw) => (typeof raw === 'boolean' ? raw : INVALID));
}

function integer(o: Common<number> & { min?: number; max?: number }): OptionSpec<number> {
  return make('integer', o, `an integer${bounds(o.min, o.max)}`, (raw) =>
    typeof raw === 'number' && Number.isInteger(raw) && inBounds(raw, o.min, o.max) ? raw : INVALID);
}

function number(o: Common<number> & { min?: number; max?: number }): OptionSpec<number> {
  return make('number', o, `a number${bounds(o.min, o.max)}`, (raw) =>
    typeof raw === 'number' && Number.isFinite(raw) && inBounds(raw, o.min, o.max) ? raw : INVALID);
}

function string<T extends string | undefined = string>(o: Common<T> & { pattern?: RegExp; patternText?: string }): OptionSpec<T> {
  const describe = o.pattern ? `a string ${o.patternText ?? `matching ${o.pattern}`}` : 'a string';
  return make('string', o, describe, (raw) =>
    typeof raw === 'string' && (!o.pattern || o.pattern.test(raw)) ? (raw as T) : INVALID);
}

function oneOf<const V extends string>(values: readonly V[], o: Common<V>): OptionSpec<V> {
  return make('enum', o, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, (raw) =>
    typeof raw === 'string' && (values as readonly string[]).includes(raw) ? (raw as V) : INVALID);
}

/** An array whose every element passes `item` (e.g. option.array(option.integer(...))). */
function array<T>(item: OptionSpec<T>, o: Common<readonly T[]> & { minLength?: number }): OptionSpec<readonly T[]> {
  const min = o.minLength ? ` with at least ${o.minLength} entries` : '';
  return make('array', o, `an array of ${plural(item.describe)}${min}`, (raw) => {
    if (!Array.isArray(raw) || raw.length < (o.minLength ?? 0)) return INVALID;
    const out: T[] = [];
    for (const entry of raw) {
      const v = item.parse(entry);
      if (v === INVALID) return INVALID;
      out.push(v);
    }
    return Object.freeze(out);
  });
}

/** A set of strings, given as an array in config. */
function set(o: Common<ReadonlySet<string>> & { values?: readonly string[] }): OptionSpec<ReadonlySet<string>> {
  const what = o.values ? `strings from ${o.values.join(', ')}` : 'strings';
  return make('set', o, `an array of ${what}`, (raw) => {
    if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string' && (!o.values || o.values.includes(x)))) return INVALID;
    return new Set(raw as string[]);
  });
}

/** A plain object whose every value passes `value` (e.g. http_paths: { websocket: '/ws' }). */
function record<T>(value: OptionSpec<T>, o: Common<Readonly<Record<string, T>>>): OptionSpec<Readonly<Record<string, T>>> {
  return make('record', o, `an object whose values are ${plural(value.describe)}`, (raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return INVALID;
    const out: Record<string, T> = {};
    for (const [k, v] of Object.entries(raw)) {
      const parsed = value.parse(v);
      if (parsed === INVALID) return INVALID;
      out[k] = parsed;
    }
    return Object.freeze(out);
  });
}

/** Anything else: the caller supplies the description and the parser. */
function custom<T>(o: Common<T> & { describe: string; parse(raw: unknown): T | typeof INVALID }): OptionSpec<T> {
  return make('custom', o, o.describe, o.parse);
}

function plural(describe: string): string {
  return describe.replace(/^an? /, '').replace(/^(\w+)/, '$1s');
}

/** The option spec builders. */
export const option = Object.freeze({ boolean, integer, number, string, oneOf, array, set, record, custom });

/** Render a default for messages and the README's option reference. */
export function describeDefault(value: unknown): string {
  if (value instanceof Set) return JSON.stringify([...value]);
  if (value === undefined) return '(unset)';
  return JSON.stringify(value);
}
