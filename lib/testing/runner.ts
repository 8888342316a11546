/**
 * runScansion: parse a script, start a server for it, run its steps with scripted clients
 * over one transport, stop everything, and report the first failing step precisely.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { RawConfig } from '../core/config.js';
import type { ModuleDefinition } from '../core/api.js';
import type { Element } from '../core/xml.js';
import { parseScansion } from './parser.js';
import type { ScansionScript, Step } from './script.js';
import { parseXmlBlock, withoutScansionAttrs } from './xml-block.js';
import { explainMismatch, matchStanza, type Mismatch } from './matcher.js';
import { prettyXml } from './pretty.js';
import { substitute, type ClientIdentity } from './variables.js';
import { ScriptedClient, type ClientEndpoint } from './client.js';
import { startScansionServer } from './server.js';

export type ScansionTransport = 'websocket' | 'tcp';

export interface ScansionOptions {
  /** How every client of the script connects (default 'tcp'). */
  readonly transport?: ScansionTransport;
  /** Server config over the runner's defaults (the script's `# config:` goes over this). */
  readonly config?: RawConfig;
  /** Module definitions to register and enable (e.g. the module under test). */
  readonly modules?: readonly ModuleDefinition[];
  /** Longest wait for an expected stanza, a login or a disconnect (ms, default 5000). Only bounds failures. */
  readonly timeoutMs?: number;
  /** `receives: nothing`: after a round trip with the server on every client, how long to keep watching (ms, default 100). */
  readonly nothingWaitMs?: number;
  /** Name of the script in messages (default: the path, or '<script>'). */
  readonly source?: string;
}

export interface ScansionResult {
  readonly script: ScansionScript;
  readonly transport: ScansionTransport;
  /** Steps run (all of them). */
  readonly steps: number;
}

/** A step that failed: where in the script, and what was expected and received. */
export class ScansionFailure extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly line: number,
    /** 1-based index of the step. */
    readonly step: number,
    readonly expected?: string,
    readonly received?: string,
  ) {
    super(message);
    this.name = 'ScansionFailure';
  }
}

const describeStep = (s: Step): string => `${s.client} ${s.kind === 'nothing' ? 'receives: nothing' : s.kind === 'sends' || s.kind === 'receives' ? `${s.kind}:` : s.kind}`;

/**
 * Run a scansion script (its text, a path to a `.scs` file, or a parsed script).
 * Resolves when every step passed; rejects with a {@link ScansionFailure} (or a
 * ScansionSyntaxError for a script that does not parse).
 */
export async function runScansion(script: string | ScansionScript, options: ScansionOptions = {}): Promise<ScansionResult> {
  const isPath = typeof script === 'string' && !script.includes('\n') && (script.endsWith('.scs') || existsSync(script));
  if (isPath && !existsSync(script)) throw new Error(`runScansion: no script file ${script}`);
  const parsed = typeof script !== 'string' ? script
    : isPath ? parseScansion(readFileSync(script, 'utf8'), options.source ?? script)
      : parseScansion(script, options.source);
  const transport = options.transport ?? 'tcp';
  const timeoutMs = options.timeoutMs ?? 5000;
  const nothingWaitMs = options.nothingWaitMs ?? 100;
  const srv = await startScansionServer({
    config: options.config,
    scriptConfig: parsed.config,
    modules: options.modules,
    enable: parsed.modules,
    accounts: parsed.clients.map((c) => ({ jid: c.jid.split('/')[0]!, password: c.password })),
  });
  const endpoint: ClientEndpoint = transport === 'tcp'
    ? { transport, host: '127.0.0.1', port: srv.c2sPort }
    : { transport, url: `ws://127.0.0.1:${srv.httpPort}/xmpp-websocket` };
  const identities = new Map<string, { bareJid: string; fullJid: string | undefined }>(
    parsed.clients.map((c) => [c.name, { bareJid: c.jid.split('/')[0]!, fullJid: undefined }]),
  );
  const connected = new Map<string, ScriptedClient>();
  let index = 0;
  let step: Step | undefined;
  const fail = (message: string, expected?: string, received?: string): never => {
    throw new ScansionFailure(
      `${parsed.source}:${step!.line}: step ${index} (${describeStep(step!)}) failed over ${transport}: ${message}`,
      parsed.source, step!.line, index, expected, received,
    );
  };
  const xmlOf = (text: string): Element[] => {
    try {
      return parseXmlBlock(substitute(text, identities as ReadonlyMap<string, ClientIdentity>));
    } catch (err) {
      return fail((err as Error).message);
    }
  };
  const clientOf = (name: string): ScriptedClient => connected.get(name) ?? fail(`${name} is not connected`);

  try {
    for (step of parsed.steps) {
      index++;
      const s = step;
      switch (s.kind) {
        case 'connects': {
          if (connected.has(s.client)) fail(`${s.client} is already connected`);
          const spec = parsed.clients.find((c) => c.name === s.client)!;
          const client = await ScriptedClient.connect({ endpoint, jid: spec.jid, password: spec.password, mechanism: spec.mechanism, timeoutMs })
            .catch((err: Error) => fail(`could not connect: ${err.message}`));
          connected.set(s.client, client);
          identities.get(s.client)!.fullJid = client.fullJid;
          break;
        }
        case 'disconnects':
          await clientOf(s.client).disconnect(timeoutMs);
          connected.delete(s.client);
          break;
        case 'sends': {
          const client = clientOf(s.client);
          for (const el of xmlOf(s.xml)) client.send(withoutScansionAttrs(el));
          break;
        }
        case 'receives':
          await receive(clientOf(s.client), xmlOf(s.xml), timeoutMs, fail);
          break;
        case 'nothing': {
          const client = clientOf(s.client);
          // Round trips flush what senders wrote, then what the server routed to each client.
          for (let round = 0; round < 2; round++) await Promise.all([...connected.values()].map((c) => c.barrier(timeoutMs)));
          await new Promise((r) => setTimeout(r, nothingWaitMs));
          const got = client.pending[0];
          if (got) fail(`expected nothing, received:\n${prettyXml(got, '    ')}`, '(nothing)', prettyXml(got));
          break;
        }
      }
    }
    return { script: parsed, transport, steps: index };
  } finally {
    await Promise.all([...connected.values()].map((c) => c.disconnect(1000).catch(() => undefined)));
    await srv.stop();
  }
}

/** Consume one received element per expected one; they may arrive in any order. */
async function receive(client: ScriptedClient, expected: Element[], timeoutMs: number, fail: (m: string, e?: string, r?: string) => never): Promise<void> {
  const remaining = [...expected];
  while (remaining.length > 0) {
    const got = await client.next(timeoutMs);
    const wanted = remaining.map((e) => prettyXml(e, '    ')).join('\n');
    if (!got) {
      fail(`${client.closed ? 'the connection closed' : `nothing arrived within ${timeoutMs} ms`} while expecting:\n${wanted}`, remaining.map((e) => prettyXml(e)).join('\n'));
    }
    const results: Array<Mismatch | undefined> = remaining.map((e) => matchStanza(e, got!));
    const hit = results.findIndex((r) => r === undefined);
    if (hit !== -1) {
      remaining.splice(hit, 1);
      continue;
    }
    // Explain against the expected stanza of the same kind, if any.
    const best = Math.max(0, remaining.findIndex((e) => e.name === got!.name));
    fail(explainMismatch(remaining[best]!, got!, results[best]!), prettyXml(remaining[best]!), prettyXml(got!));
  }
}
