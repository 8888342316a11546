#!/usr/bin/env node
/**
 * @module cli
 * The `xmpp-server` command: start, register, passwd, deluser, check (DESIGN.md contract).
 * Exit codes: 0 success, 1 a problem found or an operation failed, 2 usage error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createServer } from '../index.js';
import { Config, loadConfigFile } from '../core/config.js';
import { isServerError } from '../core/errors.js';
import { flushLogs, reopenLogFiles } from '../core/log.js';
import { normalizeUsername } from '../core/storage/accounts.js';
import { runCheck } from './check.js';
import { announce } from './announce.js';
import { defaultConfig } from './default-config.js';
import { graveyardFor } from './tombstones.js';
import { askRunningServer, printReply, runShell } from './shell.js';
import { reloadOnHangup } from './reload.js';
import { obtainPassword, PasswordError } from './password.js';
import { importProsody } from './import-prosody.js';
import { inviteCommand, INVITE_USAGE } from './invite.js';
import { drain } from './drain.js';

const USAGE = `Usage:
  xmpp-server start    [--config FILE]            run until SIGINT/SIGTERM, then stop gracefully
  xmpp-server register USER HOST [PASSWORD] [--config FILE]   no PASSWORD: asked for (or read from stdin)
  xmpp-server passwd   USER HOST [PASSWORD] [--config FILE]
  xmpp-server deluser  USER HOST [--config FILE]
  xmpp-server check    [--config FILE]            validate config, certificates, ports; explain problems
  xmpp-server drain    [--config FILE]            stop the running server so its clients resume on another node
  xmpp-server shell    [-c COMMAND] [--config FILE]  the admin shell of the running server (type 'help')
  xmpp-server import-prosody --config prosody.cfg.lua --out config.json [--data DIR] [--data-path OURS] [--force]
${INVITE_USAGE}
  xmpp-server --version`;

const ARITY: Record<string, number> = { start: 0, register: 3, passwd: 3, deluser: 2, check: 0, invite: 2, drain: 0 };
/** Commands whose last argument (the password) may be left out: see password.ts. */
const OPTIONAL_LAST = new Set(['register', 'passwd']);

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'shell') return runShell(argv.slice(1)); // its own options (-c is its command)
  if (argv[0] === 'import-prosody') return importProsody(argv.slice(1), process.stdout, process.stderr);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } } });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [command, ...args] = parsed.positionals;
  if (parsed.values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (parsed.values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || parsed.values.help ? 0 : 2;
  }
  const arityOk = args.length === ARITY[command] || (OPTIONAL_LAST.has(command) && args.length === ARITY[command]! - 1);
  if (!(command in ARITY) || !arityOk) {
    process.stderr.write(`${command in ARITY ? `'${command}' takes ${ARITY[command]} argument(s)` : `unknown command '${command}'`}\n${USAGE}\n`);
    return 2;
  }
  const configFile = parsed.values.config;
  if (command === 'check') return runCheck(configFile, process.stdout);
  // No --config: the built-in default (VirtualHost localhost, the chat page at /): lib/cli/default-config.ts.
  const config = configFile ? await loadConfigFile(configFile) : new Config(defaultConfig());
  if (command === 'start') return start(config);
  if (command === 'drain') return drain(config, process.stdout, process.stderr);
  if (command === 'invite') return withServer(config, (server) => inviteCommand(server, args, process.stdout, process.stderr));
  return accountCommand(command, args, config);
}

async function start(config: Config): Promise<number> {
  const server = createServer(config);
  await server.start();
  announce(server, process.stdout);
  await new Promise<void>((resolve) => {
    server.events.on('server-stopped', () => { resolve(); }); // also when the admin shell stops it
    reloadOnHangup(server);
    const stop = (signal: string): void => {
      server.log.info({ signal }, 'signal received');
      server.stop('shutdown').then(resolve, (err: unknown) => { server.log.error({ err }, 'stop failed'); resolve(); });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    // logrotate: `kill -USR1` after moving the files; the `log` option's files are reopened.
    process.on('SIGUSR1', () => { reopenLogFiles(server.log); server.log.info('log files reopened'); });
  });
  flushLogs(server.log);
  return 0;
}

/** The version in the package's package.json (build/lib/cli/ -> the package root). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return `${pkg.name} ${pkg.version}`;
}

async function accountCommand(command: string, args: string[], config: Config): Promise<number> {
  const [user, host, given] = args as [string, string, string | undefined];
  let password = given;
  if (command !== 'deluser') {
    try {
      password = await obtainPassword(given);
    } catch (err) {
      if (!(err instanceof PasswordError)) throw err;
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
  }
  if (command !== 'register') {
    // A server running on this data_path does it, so that the user's live sessions end too.
    const reply = await askRunningServer(config, command === 'passwd' ? ['user', 'password', `${user}@${host}`, password!] : ['user', 'delete', `${user}@${host}`]);
    if (reply !== undefined) return printReply(reply);
  }
  const server = createServer(config);
  try {
    if (!server.isLocalHost(host)) {
      process.stderr.write(`Host '${host}' is not a VirtualHost in the config (hosts: ${server.hostNames.join(', ')})\n`);
      return 1;
    }
    // The command line loads no modules: tombstones (when enabled on the host) are kept here.
    const graveyard = graveyardFor(server, host);
    if (command === 'register') {
      const buried = graveyard?.tombstone(normalizeUsername(user));
      if (buried !== undefined) {
        process.stderr.write(`The username '${user}' belonged to an account deleted on ${new Date(buried).toISOString()} and cannot be registered again `
          + '(module tombstones, option user_tombstone_expiry)\n');
        return 1;
      }
      server.accounts.create(host, user, password!);
    } else if (command === 'passwd') {
      server.accounts.setPassword(host, user, password!);
    } else {
      server.accounts.delete(host, user);
      graveyard?.bury(normalizeUsername(user));
    }
    const done = { register: 'created', passwd: 'password changed for', deluser: 'deleted' }[command];
    process.stdout.write(`Account ${done} ${user.toLowerCase()}@${host}\n`);
    return 0;
  } finally {
    server.storage.close();
  }
}

/** Run `fn` with a server that is not started (storage open), then close its storage. */
function withServer(config: Config, fn: (server: ReturnType<typeof createServer>) => number): number {
  const server = createServer(config);
  try {
    return fn(server);
  } finally {
    server.storage.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`${isServerError(err) ? err.message : (err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
