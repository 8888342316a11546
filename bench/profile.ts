/**
 * @module bench/profile
 * Summarise a V8 .cpuprofile (from `npm run bench -- --profile`): self time per function and
 * per file, and inclusive time of our own functions, so the per-stanza path's hot spots show.
 * Usage: node build/bench/profile.js FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self and inclusive time (ms) per function and self time per file. */
export function summarise(profile: CpuProfile): { total: number; self: Map<string, number>; files: Map<string, number>; inclusive: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map<number, number>();
  profile.samples.forEach((id, i) => hits.set(id, (hits.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const label = (n: ProfileNode): string => {
    const file = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/(build|node_modules)\//, '$1/');
    return `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const files = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of hits) {
    const n = byId.get(id)!;
    total += ms;
    self.set(label(n), (self.get(label(n)) ?? 0) + ms);
    const file = n.callFrame.url ? n.callFrame.url.replace(/^.*\/(build|node_modules)\//, '$1/') : n.callFrame.functionName;
    files.set(file, (files.get(file) ?? 0) + ms);
    // inclusive: every distinct function on the stack gets the sample once
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + ms);
    }
  }
  return { total, self, files, inclusive };
}

function top(map: Map<string, number>, n: number, total: number, filter: (k: string) => boolean = () => true): string {
  return [...map].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, v]) => `${v.toFixed(0).padStart(8)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
}

if (process.argv[1]?.endsWith('profile.js')) {
  const [file, count] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node build/bench/profile.js FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  const n = Number(count ?? 40);
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  process.stdout.write(`total ${s.total.toFixed(0)} ms\n\nself time by function:\n${top(s.self, n, s.total)}\n\nself time by file:\n${top(s.files, n, s.total)}\n\n`);
  process.stdout.write(`inclusive time, our code:\n${top(s.inclusive, n, s.total, (k) => k.includes('build/lib'))}\n`);
}
