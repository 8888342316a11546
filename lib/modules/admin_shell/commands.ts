/**
 * @module admin_shell/commands
 * The admin shell's commands, with Prosody's mod_admin_shell names (`c2s:show()` is `c2s show`):
 * sessions, users, modules, the config and the server. Each returns the lines to print; a
 * command that fails throws a CommandError (the shell then exits non-zero).
 */
import {
  normalizeUsername, parseJid, isServerError, type ServerApi, type Session, type Logger,
} from '../../core/api.js';
import { duration, table } from './format.js';

/** A command that cannot be done as asked: its message is shown to the operator. */
export class CommandError extends Error {}

export interface CommandResult {
  readonly lines: string[];
  /** Runs once the reply was sent (shutdown). */
  readonly after?: () => void;
}

interface Command {
  readonly usage: string;
  readonly help: string;
  run(server: ServerApi, args: string[], log: Logger): CommandResult | Promise<CommandResult>;
}

/** RFC 6120 §4.9.3 conditions an operator may close a session with. */
const CLOSE_CONDITIONS = new Set([
  'policy-violation', 'not-authorized', 'reset', 'conflict', 'system-shutdown', 'see-other-host',
  'resource-constraint', 'connection-timeout', 'undefined-condition',
]);

const lines = (...l: string[]): CommandResult => ({ lines: l });

/** `user@host` of a local VirtualHost, normalised. */
function accountJid(server: ServerApi, text: string | undefined): { user: string; host: string } {
  const jid = text === undefined ? undefined : parseJid(text);
  if (jid?.local === undefined || jid.resource !== undefined) throw new CommandError(`expected an account JID (user@host), got ${JSON.stringify(text ?? '')}`);
  if (!server.isLocalHost(jid.domain)) throw new CommandError(`'${jid.domain}' is not a VirtualHost here (hosts: ${server.hostNames.join(', ')})`);
  return { user: normalizeUsername(jid.local), host: jid.domain };
}

function localHost(server: ServerApi, host: string | undefined): string {
  if (host === undefined) throw new CommandError(`a host is needed (hosts: ${server.hostNames.join(', ')})`);
  if (!server.servesHost(host)) throw new CommandError(`'${host}' is not a host of this server (hosts: ${[...server.hostNames, ...server.componentNames].join(', ')})`);
  return host;
}

/** Every session of an account, bound or not (also hibernating ones). */
function accountSessions(server: ServerApi, host: string, user: string): Session[] {
  return server.sessions.hostSessions(host).filter((s) => s.username === user && !s.closed);
}

/** What `c2s show` says about one session. */
function sessionRow(server: ServerApi, s: Session, now: number): string[] {
  const info: Record<string, string> = {};
  if (s.host !== undefined) {
    try {
      server.hostEvents(s.host)?.fire('session-info', { session: s, info });
    } catch {
      // a module's description failing must not hide the session
    }
  }
  const jid = s.fullJid ?? (s.bareJid !== undefined ? `${s.bareJid} (not bound)` : `(unauthenticated ${s.id})`);
  const secure = s.encrypted ? 'tls' : s.secure ? 'yes' : 'no';
  const sm = [info.sm ?? '-', ...(s.hibernating ? ['hibernating'] : [])].join(' ');
  return [jid, s.hibernating ? '-' : s.transport.kind, s.ip || '-', secure, sm, duration(now - s.lastInputAt)];
}

const COMMANDS: Record<string, Command> = {
  'c2s show': {
    usage: 'c2s show [JID|HOST]',
    help: 'Show client sessions: JID, transport, IP, secure, stream management, idle time',
    run(server, [filter]) {
      const now = Date.now();
      const all = [...server.sessions.all()].filter((s) => !s.closed);
      const shown = all.filter((s) => filter === undefined || s.host === filter || s.bareJid === filter || s.fullJid === filter);
      const rows = shown.map((s) => sessionRow(server, s, now)).sort((a, b) => a[0]!.localeCompare(b[0]!));
      const summary = shown.length === all.length ? `${all.length} c2s sessions shown` : `${shown.length} out of ${all.length} c2s sessions shown`;
      return { lines: [...(rows.length > 0 ? table(['JID', 'Transport', 'IP', 'Secure', 'SM', 'Idle'], rows) : []), summary] };
    },
  },
  'c2s close': {
    usage: 'c2s close JID [TEXT] [CONDITION]',
    help: 'Close the sessions of a full or bare JID with a stream error (default policy-violation)',
    run(server, [target, text, condition = 'policy-violation']) {
      const jid = target === undefined ? undefined : parseJid(target);
      if (jid?.local === undefined) throw new CommandError(`expected a JID (user@host or user@host/resource), got ${JSON.stringify(target ?? '')}`);
      if (!CLOSE_CONDITIONS.has(condition)) throw new CommandError(`unknown condition '${condition}' (one of ${[...CLOSE_CONDITIONS].join(', ')})`);
      const matching = [...server.sessions.all()].filter((s) => !s.closed && (s.fullJid === jid.full || (jid.resource === undefined && s.bareJid === jid.bare)));
      for (const s of matching) s.close({ condition, text: text || 'Closed by the server administrator' });
      return lines(`Total: ${matching.length} sessions closed`);
    },
  },
  'user list': {
    usage: 'user list HOST [PATTERN]',
    help: 'List the accounts of a VirtualHost (those containing PATTERN)',
    run(server, [host, pattern]) {
      if (host === undefined || !server.isLocalHost(host)) throw new CommandError(`expected a VirtualHost (hosts: ${server.hostNames.join(', ')}), got ${JSON.stringify(host ?? '')}`);
      const users = server.accounts.list(host).filter((u) => pattern === undefined || u.includes(pattern.toLowerCase())).sort();
      return lines(...users.map((u) => `${u}@${host}`), `${users.length} users`);
    },
  },
  'user create': {
    usage: 'user create JID PASSWORD',
    help: 'Create an account',
    async run(server, [jid, password], log) {
      const { user, host } = accountJid(server, jid);
      if (!password) throw new CommandError('a password is needed');
      await server.accounts.createAsync(host, user, password);
      log.info({ account: `${user}@${host}` }, 'account created by the administrator');
      return lines(`Account created ${user}@${host}`);
    },
  },
  'user password': {
    usage: 'user password JID PASSWORD',
    help: 'Change a password; the account\'s sessions end (stream error reset)',
    async run(server, [jid, password], log) {
      const { user, host } = accountJid(server, jid);
      if (!password) throw new CommandError('a password is needed');
      await server.accounts.setPasswordAsync(host, user, password);
      const sessions = accountSessions(server, host, user);
      for (const s of sessions) s.close({ condition: 'reset', text: 'Password changed' });
      log.info({ account: `${user}@${host}`, sessions: sessions.length }, 'password changed by the administrator');
      return lines(`Account password changed for ${user}@${host} (${sessions.length} sessions closed)`);
    },
  },
  'user delete': {
    usage: 'user delete JID',
    help: 'Delete an account and its data; its sessions end (stream error not-authorized)',
    run(server, [jid], log) {
      const { user, host } = accountJid(server, jid);
      server.accounts.delete(host, user);
      const sessions = accountSessions(server, host, user);
      for (const s of sessions) s.close({ condition: 'not-authorized', text: 'Account deleted' });
      log.info({ account: `${user}@${host}`, sessions: sessions.length }, 'account deleted by the administrator');
      return lines(`Account deleted ${user}@${host} (${sessions.length} sessions closed)`);
    },
  },
  'module list': {
    usage: 'module list [HOST]',
    help: 'Show the modules loaded on each host (or one)',
    run(server, [host]) {
      const hosts = host === undefined ? [...server.hostNames, ...server.componentNames] : [localHost(server, host)];
      const out: string[] = [];
      for (const h of hosts) {
        const names = server.control.loadedModules(h).sort();
        out.push(`${h} (${names.length} modules):`, ...names.map((n) => `  ${n}`));
      }
      return { lines: out };
    },
  },
  'module reload': {
    usage: 'module reload NAME [HOST]',
    help: 'Reload a module with its options read again (on every host where it is loaded, or one)',
    async run(server, [name, host]) {
      if (name === undefined) throw new CommandError('a module name is needed');
      if (host !== undefined) localHost(server, host);
      const done = await server.control.reloadModule(name, host);
      return lines(...done.map((d) => `Reloaded ${d}`));
    },
  },
  'config reload': {
    usage: 'config reload',
    help: 'Read the config file again: apply what can change live, report what needs a restart',
    async run(server) {
      const report = await server.control.reloadConfig();
      const out: string[] = [];
      const section = (title: string, entries: readonly string[]): void => {
        if (entries.length > 0) out.push(title, ...entries.map((e) => `  ${e}`));
      };
      section('Applied:', report.applied);
      section('Needs a restart (the running value stays):', report.restart);
      section('Failed:', report.failed);
      if (out.length === 0) out.push('No changes');
      if (report.failed.length > 0) throw new CommandError(out.join('\n'));
      return { lines: out };
    },
  },
  'server shutdown': {
    usage: 'server shutdown [REASON]',
    help: 'Stop the server gracefully (sessions get system-shutdown)',
    run(server, [reason = 'shutdown requested by the administrator'], log) {
      return {
        lines: [`Shutting down (process ${process.pid})`], // xmpp-server drain waits for that process
        after: () => { server.control.shutdown(reason).catch((err: unknown) => log.error({ err }, 'shutdown failed')); },
      };
    },
  },
};

/** `help`: every command with what it does. */
function help(): string[] {
  const rows = Object.values(COMMANDS).map((c) => [c.usage, c.help]);
  return [
    'Commands (also in Prosody\'s form: c2s:show(), user:list("localhost"), module:reload("mam")):',
    ...table(['help', 'This list'], rows).map((l) => `  ${l}`),
  ];
}

/**
 * Run one command given as words ([group, action, ...args]).
 * @throws CommandError for an unknown command or bad arguments; ServerError from the core
 */
export async function runCommand(server: ServerApi, words: readonly string[], log: Logger): Promise<CommandResult> {
  const [group, action, ...args] = words;
  if (group === undefined || group === 'help' || group === '?') return { lines: help() };
  const command = COMMANDS[`${group} ${action ?? ''}`];
  if (command === undefined) {
    const actions = Object.keys(COMMANDS).filter((k) => k.startsWith(`${group} `));
    throw new CommandError(actions.length > 0
      ? `unknown command '${group} ${action ?? ''}'; '${group}' has: ${actions.map((k) => k.slice(group.length + 1)).join(', ')}`
      : `unknown command '${words.join(' ')}'; type 'help' for the list`);
  }
  try {
    return await command.run(server, args, log);
  } catch (err) {
    if (isServerError(err) && !(err instanceof CommandError)) throw new CommandError(err.message);
    throw err;
  }
}
