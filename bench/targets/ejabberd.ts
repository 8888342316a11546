/**
 * @module bench/targets/ejabberd
 * Debian's ejabberd (23.01) as a benchmark target, beside Prosody: a private Erlang node run in
 * the foreground by `erl` itself (no distribution, so no epmd and no cookie), with its config,
 * log, Mnesia spool and SQLite database in the target's directory; plain ws:// on loopback
 * (ejabberd_http_ws), SCRAM-SHA-1 credentials in SQLite, the modules Prosody and ours run, and
 * no shaper or queue limit in the way (see ejabberd-config.ts). The pid measured is beam.smp's:
 * `erl` execs erlexec, which execs beam.smp, so the spawned child is the VM itself.
 * Accounts: written into the `users` table in the form ejabberd_auth_sql stores, in batches
 * (one `ejabberdctl register` per account would take minutes for 10,000).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freePort, stopChild, waitForPort } from '../proc.js';
import {
  EJABBERD_DOMAIN, EJABBERD_LIBS, EJABBERD_SCHEMA, configFile, databaseFile, ejabberdConfig, erlArgs, erlEnv, scramRow, spoolDir,
} from './ejabberd-config.js';
import { MUC_DOMAIN } from './prosody.js';
import type { RunningTarget, Target, TargetDirs } from './target.js';

/** ejabberd's application directory in Debian's package (ejabberd-<version>), if installed. */
/** Erlang's own library directory, where erlang-p1-sqlite3 goes. */
const ERLANG_LIBS = '/usr/lib/erlang/lib';

function appDir(): string | undefined {
  try {
    const name = readdirSync(EJABBERD_LIBS).find((d) => /^ejabberd-\d/.test(d) && existsSync(join(EJABBERD_LIBS, d, 'ebin', 'ejabberd.app')));
    return name === undefined ? undefined : join(EJABBERD_LIBS, name);
  } catch {
    return undefined;
  }
}

/** Whether Debian's ejabberd and the SQLite driver it needs here (erlang-p1-sqlite3) are installed. */
export function ejabberdInstalled(): boolean {
  const libs = existsSync(ERLANG_LIBS) ? readdirSync(ERLANG_LIBS) : [];
  return existsSync('/usr/bin/erl') && appDir() !== undefined && existsSync(EJABBERD_SCHEMA) && libs.some((d) => d.startsWith('p1_sqlite3-'));
}

function ejabberdVersion(): string {
  const dir = appDir();
  try {
    const m = /\{vsn,\s*"([^"]+)"\}/.exec(readFileSync(join(dir!, 'ebin', 'ejabberd.app'), 'utf8'));
    return `ejabberd ${m?.[1] ?? 'unknown version'}`;
  } catch {
    return 'ejabberd (unknown version)';
  }
}

/** Create the schema if needed, then accounts 1..count that are not there yet, 256 per transaction. */
async function writeAccounts(file: string, count: number, prefix: string, password: string): Promise<void> {
  const db = new Database(file);
  try {
    const hasUsers = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'").get() !== undefined;
    if (!hasUsers) db.exec(readFileSync(EJABBERD_SCHEMA, 'utf8'));
    const insert = db.prepare('INSERT INTO users (username, password, serverkey, salt, iterationcount) VALUES (@username, @password, @serverkey, @salt, @iterationcount)');
    const exists = db.prepare('SELECT 1 FROM users WHERE username = ?');
    for (let start = 1; start <= count; start += 256) {
      const users = Array.from({ length: Math.min(256, count - start + 1) }, (_, k) => `${prefix}${start + k}`)
        .filter((user) => exists.get(user) === undefined);
      const rows = await Promise.all(users.map((user) => scramRow(user, password)));
      db.transaction(() => { for (const row of rows) insert.run(row); })();
    }
  } finally {
    db.close();
  }
}

/** ejabberd as a target; ports are picked now and kept for the run. */
export async function ejabberdTarget(dirs: TargetDirs): Promise<Target> {
  const dir = dirs.dir;
  mkdirSync(spoolDir(dir), { recursive: true });
  const c2sPort = await freePort();
  const httpPort = await freePort();
  writeFileSync(configFile(dir), ejabberdConfig({ dir, c2sPort, httpPort, mucDomain: MUC_DOMAIN }));
  return {
    name: 'ejabberd',
    version: `${ejabberdVersion()} (SQLite storage)`,
    async prepare(count, prefix, password) {
      await writeAccounts(databaseFile(dir), count, prefix, password);
    },
    async start(): Promise<RunningTarget> {
      const child = spawn('erl', erlArgs(dir), { cwd: dir, env: erlEnv(dir), stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000); });
      try {
        await waitForPort(httpPort, 60_000, child);
      } catch (err) {
        await stopChild(child);
        const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000) : '';
        throw new Error(`ejabberd did not start: ${(err as Error).message}\n${stderr}${log}`, { cause: err });
      }
      return {
        info: { name: 'ejabberd', mode: 'xmpp', url: `ws://127.0.0.1:${httpPort}/xmpp-websocket`, domain: EJABBERD_DOMAIN },
        pid: child.pid!,
        stop: () => stopChild(child),
      };
    },
  };
}
