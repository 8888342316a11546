/**
 * The parsed form of a scansion script: its header (title, description, the runner's
 * `# modules:` / `# config:` extensions), the [Client] objects and the steps, each with the
 * line it starts on so a failure can point at the script.
 */

/** A `[Client] Name` block. */
export interface ClientSpec {
  readonly name: string;
  /** `jid:` (bare, or full when the resource to bind is fixed). */
  readonly jid: string;
  /** `password:` (default 'password'). */
  readonly password: string;
  /** `mechanism:` SASL mechanism to use (default: the best offered of SCRAM-SHA-256, SCRAM-SHA-1, PLAIN). */
  readonly mechanism?: string;
  readonly line: number;
}

/** One action of the script. `xml` is the raw text of the indented block (variables not yet substituted). */
export type Step =
  | { readonly kind: 'connects'; readonly client: string; readonly line: number }
  | { readonly kind: 'disconnects'; readonly client: string; readonly line: number }
  | { readonly kind: 'sends'; readonly client: string; readonly line: number; readonly xml: string }
  | { readonly kind: 'receives'; readonly client: string; readonly line: number; readonly xml: string }
  | { readonly kind: 'nothing'; readonly client: string; readonly line: number };

export interface ScansionScript {
  /** Where the script came from (a path, or '<script>'), used in messages. */
  readonly source: string;
  /** The first `#` line of the header. */
  readonly title: string | undefined;
  /** The header's other `#` lines (not `##`, not metadata). */
  readonly description: string[];
  /** `# modules: a, b`: modules to enable on top of the defaults (extension of this runner). */
  readonly modules: string[];
  /** `# config: {...}`: JSON merged into the server config (extension of this runner). */
  readonly config: Record<string, unknown>;
  readonly clients: ClientSpec[];
  readonly steps: Step[];
}

/** A script that cannot be parsed: the message names the source and line. */
export class ScansionSyntaxError extends Error {
  readonly line: number;
  readonly source: string;
  constructor(source: string, line: number, message: string) {
    super(`${source}:${line}: ${message}`);
    this.name = 'ScansionSyntaxError';
    this.line = line;
    this.source = source;
  }
}
