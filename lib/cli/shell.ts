/**
 * @module cli/shell
 * `xmpp-server shell`: the admin shell of a running server, over its admin socket (module
 * admin_shell). `-c "c2s show"` runs one command; otherwise commands are read from stdin, with a
 * prompt when it is a terminal. Exit 1 when a command fails or no server answers.
 * Also what `passwd` and `deluser` use to act through a running server (askRunningServer).
 */
import { createConnection, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Config, CORE_OPTIONS, loadConfigFile } from '../core/config.js';
import { adminSocketPath } from '../modules/admin_shell/path.js';
import { defaultConfig } from './default-config.js';

const USAGE = `Usage:
  xmpp-server shell [-c COMMAND] [--config FILE]   the admin shell of the running server (type 'help')`;

interface Reply {
  readonly ok: boolean;
  readonly lines: readonly string[];
  readonly error?: string;
}

/** The admin socket of the server that `config` describes. */
export function adminSocketFor(config: Config): string {
  const base = config.file ? dirname(config.file) : process.cwd();
  const dataPath = resolve(base, config.option('*', 'data_path', CORE_OPTIONS.data_path, 'core'));
  const option = config.raw('*', 'admin_socket');
  return adminSocketPath(dataPath, typeof option === 'string' ? option : undefined);
}

/** One connection to the admin socket: requests answered in order. */
export class AdminClient {
  readonly #socket: Socket;
  readonly #waiting: ((reply: Reply) => void)[] = [];
  #buffer = '';

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) !== -1) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        let reply: Reply;
        try {
          reply = JSON.parse(line) as Reply;
        } catch {
          reply = { ok: false, lines: [], error: 'the server sent an unreadable reply' };
        }
        this.#waiting.shift()?.(reply);
      }
    });
    socket.on('close', () => {
      for (const w of this.#waiting.splice(0)) w({ ok: false, lines: [], error: 'the server closed the admin connection' });
    });
  }

  /** Connect, or undefined when nothing listens on `path`. */
  static connect(path: string): Promise<AdminClient | undefined> {
    return new Promise((resolvePromise) => {
      const socket = createConnection(path);
      socket.once('connect', () => { socket.removeAllListeners('error'); socket.on('error', () => undefined); resolvePromise(new AdminClient(socket)); });
      socket.once('error', () => resolvePromise(undefined));
    });
  }

  request(req: { line: string } | { args: readonly string[] }): Promise<Reply> {
    return new Promise((resolvePromise) => {
      if (this.#socket.destroyed) {
        resolvePromise({ ok: false, lines: [], error: 'the admin connection is closed' });
        return;
      }
      this.#waiting.push(resolvePromise);
      this.#socket.write(`${JSON.stringify(req)}\n`);
    });
  }

  close(): void {
    this.#socket.end();
  }
}

/** Print a reply; returns whether the command succeeded. */
function print(reply: Reply): boolean {
  for (const line of reply.lines) process.stdout.write(`${line}\n`);
  if (!reply.ok) process.stderr.write(`Error: ${reply.error ?? 'the command failed'}\n`);
  return reply.ok;
}

export function noServer(path: string): string {
  return `No server is running with admin socket ${path} (start it with 'xmpp-server start' and the admin_shell module, with the same --config)\n`;
}

/** `xmpp-server shell ...` (argv after 'shell'); resolves to the exit code. */
export async function runShell(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { config: { type: 'string' }, command: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = parsed.values.config ? await loadConfigFile(parsed.values.config) : new Config(defaultConfig());
  const path = adminSocketFor(config);
  const client = await AdminClient.connect(path);
  if (client === undefined) {
    process.stderr.write(noServer(path));
    return 1;
  }
  try {
    if (parsed.values.command !== undefined) return print(await client.request({ line: parsed.values.command })) ? 0 : 1;
    return await readCommands(client);
  } finally {
    client.close();
  }
}

/** Commands from stdin: with a prompt on a terminal (errors shown, exit 0), else exit 1 on any failure. */
async function readCommands(client: AdminClient): Promise<number> {
  const interactive = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, prompt: 'xmpp-server> ' });
  if (interactive) {
    process.stdout.write("Connected to the running server; type 'help' for commands, 'quit' to leave.\n");
    rl.prompt();
  }
  let failed = false;
  for await (const line of rl) {
    const text = line.trim();
    if (text === 'quit' || text === 'exit') break;
    if (text !== '') {
      const ok = print(await client.request({ line: text }));
      failed ||= !ok;
    }
    if (interactive) rl.prompt();
  }
  rl.close();
  return failed && !interactive ? 1 : 0;
}

/**
 * Ask the server running with `config` (if its admin socket answers) to run `args`. Undefined
 * when no server answers: the caller then works on the store directly.
 */
export async function askRunningServer(config: Config, args: readonly string[]): Promise<Reply | undefined> {
  const client = await AdminClient.connect(adminSocketFor(config));
  if (client === undefined) return undefined;
  try {
    return await client.request({ args });
  } finally {
    client.close();
  }
}

/** Print a reply of askRunningServer; returns the exit code. */
export function printReply(reply: Reply): number {
  return print(reply) ? 0 : 1;
}
