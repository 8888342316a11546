/**
 * @module cli/prosody/report
 * What an import did: counts per host and store of what was imported, and every option,
 * module, file or record that was not, with where it was and why. Printed at the end of
 * `xmpp-server import-prosody`; never holds a password.
 */

/** One thing not carried over. */
export interface Skipped {
  /** Where: `prosody.cfg.lua:12`, `example.org/roster/juliet.dat`, `example.org`. */
  readonly where: string;
  /** What: `option 'pidfile'`, `module 'bosh'`, `MUC rooms`. */
  readonly what: string;
  readonly why: string;
}

export class ImportReport {
  /** host -> what -> count */
  readonly imported = new Map<string, Map<string, number>>();
  readonly skipped: Skipped[] = [];
  /** Things done on the operator's behalf that they should know about. */
  readonly notes: string[] = [];
  /** Files that could not be parsed (the command exits non-zero when there are any). */
  readonly errors: string[] = [];

  count(host: string, what: string, n = 1): void {
    if (n === 0) return;
    let m = this.imported.get(host);
    if (!m) this.imported.set(host, (m = new Map()));
    m.set(what, (m.get(what) ?? 0) + n);
  }

  countOf(host: string, what: string): number {
    return this.imported.get(host)?.get(what) ?? 0;
  }

  skip(where: string, what: string, why: string): void {
    this.skipped.push({ where, what, why });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  error(text: string): void {
    this.errors.push(text);
  }

  /** The report as text, one item per line. */
  format(): string {
    const lines: string[] = ['Imported:'];
    if (this.imported.size === 0) lines.push('  (no data)');
    for (const [host, m] of this.imported) {
      lines.push(`  ${host}: ${[...m].map(([what, n]) => `${n} ${what}`).join(', ')}`);
    }
    if (this.notes.length) {
      lines.push('Notes:');
      for (const n of this.notes) lines.push(`  ${n}`);
    }
    lines.push(this.skipped.length ? `Not imported (${this.skipped.length}):` : 'Not imported: nothing');
    for (const s of this.skipped) lines.push(`  ${s.where}: ${s.what}: not imported: ${s.why}`);
    if (this.errors.length) {
      lines.push(`Errors (${this.errors.length}):`);
      for (const e of this.errors) lines.push(`  ${e}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
