/**
 * Test helper: a strict reader of the Prometheus text format (0.0.4) and OpenMetrics text
 * (1.0), enough to reject what a scraper would: metric and label name syntax, label value
 * escapes, HELP/TYPE before samples, samples named after their family's type, no duplicate
 * series, cumulative histogram buckets ending at +Inf = _count, and for OpenMetrics no blank
 * lines, `_total` on every counter sample and `# EOF` last.
 */
import assert from 'node:assert/strict';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'unknown', 'gaugehistogram', 'stateset', 'info']);

const SUFFIXES: Record<string, readonly string[]> = {
  counter: ['_total', '_created', ''],
  gauge: [''],
  untyped: [''],
  unknown: [''],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['', '_sum', '_count', '_created'],
};

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  assert.match(text, /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/, `a number in: ${line}`);
  return Number(text);
}

/** `{a="x",b="y\"z"}` from position 0 of `text`: the labels and where they end. */
function parseLabels(text: string, line: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = 1;
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    assert.ok(eq > i, `a label name in: ${line}`);
    const name = text.slice(i, eq);
    assert.match(name, LABEL, `label name ${name} in: ${line}`);
    assert.ok(!(name in labels), `label ${name} once in: ${line}`);
    assert.equal(text[eq + 1], '"', `a quoted value in: ${line}`);
    let j = eq + 2;
    let value = '';
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        assert.ok(next === '\\' || next === '"' || next === 'n', `a valid escape in: ${line}`);
        value += next === 'n' ? '\n' : next;
      } else {
        assert.notEqual(text[j], '\n');
        value += text[j];
      }
    }
    assert.equal(text[j], '"', `a closed label value in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else assert.equal(text[i], '}', `',' or '}' after a label in: ${line}`);
  }
  return { labels, end: i + 1 };
}

function familyOf(sample: string, family: Family, openMetrics: boolean): boolean {
  const suffixes = SUFFIXES[family.type] ?? [''];
  if (openMetrics && family.type === 'counter') return sample === `${family.name}_total` || sample === `${family.name}_created`;
  return suffixes.some((s) => sample === family.name + s);
}

/** Parse and check a whole exposition; `openMetrics` selects the stricter format. */
export function parseExposition(text: string, openMetrics: boolean): Map<string, Family> {
  const families = new Map<string, Family>();
  const series = new Set<string>();
  assert.ok(text.endsWith('\n'), 'the text ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (openMetrics) assert.equal(lines.at(-1), '# EOF', 'OpenMetrics ends with # EOF');
  let current: Family | undefined;
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    } else {
      assert.equal(current?.name, name, `the lines of family ${name} are contiguous`);
    }
    current = f;
    return f;
  };
  for (const [n, line] of lines.entries()) {
    if (line === '') {
      assert.ok(!openMetrics, `no blank lines in OpenMetrics (line ${n + 1})`);
      continue;
    }
    if (line === '# EOF') {
      assert.ok(openMetrics && n === lines.length - 1, '# EOF only last, and only in OpenMetrics');
      continue;
    }
    const meta = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      assert.match(name!, NAME, `metric name ${name}`);
      const f = family(name!);
      assert.equal(f.samples.length, 0, `${kind} of ${name} before its samples`);
      if (kind === 'TYPE') {
        assert.ok(TYPES.has(rest ?? ''), `a known type for ${name}: ${rest}`);
        (f as { type: string }).type = rest!;
        if (openMetrics && rest === 'counter') assert.ok(!name!.endsWith('_total'), `an OpenMetrics counter family has no _total: ${name}`);
      } else if (kind === 'HELP') {
        (f as { help: string }).help = rest ?? '';
      }
      continue;
    }
    assert.ok(!line.startsWith('#') || !openMetrics, `no other comments in OpenMetrics: ${line}`);
    if (line.startsWith('#')) continue;
    const nameEnd = line.search(/[{ ]/);
    assert.ok(nameEnd > 0, `a sample line: ${line}`);
    const name = line.slice(0, nameEnd);
    assert.match(name, NAME, `sample name ${name}`);
    let rest = line.slice(nameEnd);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest, line);
      labels = parsed.labels;
      rest = rest.slice(parsed.end);
    }
    const parts = rest.trim().split(/\s+/);
    assert.ok(rest.startsWith(' ') && parts.length >= 1 && parts.length <= 2, `value (and timestamp) after the labels: ${line}`);
    const value = parseValue(parts[0]!, line);
    assert.ok(current !== undefined && familyOf(name, current, openMetrics), `sample ${name} belongs to the family above it (${current?.name} ${current?.type})`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!series.has(key), `one sample per series: ${line}`);
    series.add(key);
    current!.samples.push({ name, labels, value });
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** Buckets per series are cumulative, and +Inf equals _count. */
function checkHistogram(f: Family): void {
  const byKey = new Map<string, { buckets: [number, number][]; count?: number }>();
  const keyOf = (labels: Readonly<Record<string, string>>): string => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort());
  for (const s of f.samples) {
    const key = keyOf(s.labels);
    const entry = byKey.get(key) ?? { buckets: [] };
    byKey.set(key, entry);
    if (s.name.endsWith('_bucket')) entry.buckets.push([s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), s.value]);
    if (s.name.endsWith('_count')) entry.count = s.value;
  }
  for (const [key, { buckets, count }] of byKey) {
    assert.ok(buckets.length > 0 && buckets.at(-1)![0] === Infinity, `${f.name}${key} ends with le="+Inf"`);
    for (let i = 1; i < buckets.length; i++) {
      assert.ok(buckets[i]![0] > buckets[i - 1]![0] && buckets[i]![1] >= buckets[i - 1]![1], `${f.name}${key}: cumulative buckets`);
    }
    assert.equal(buckets.at(-1)![1], count, `${f.name}${key}: +Inf = _count`);
  }
}

/** The value of one sample (0 when absent), matched by name and a subset of labels, summed. */
export function valueOf(families: Map<string, Family>, sample: string, labels: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== sample) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
    }
  }
  return sum;
}
