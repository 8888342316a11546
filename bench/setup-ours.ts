/**
 * @module bench/setup-ours
 * Creates the benchmark accounts for our server, through the same Accounts API the CLI's
 * `register` uses (SCRAM credentials in SQLite), in one process instead of one per account.
 * Usage: node build/bench/setup-ours.js CONFIG PREFIX FIRST LAST PASSWORD
 */
import { loadConfigFile } from '../lib/core/config.js';
import { createServer } from '../lib/index.js';

const [configFile, prefix, first, last, password] = process.argv.slice(2);
if (!configFile || !prefix || !first || !last || password === undefined) {
  process.stderr.write('usage: setup-ours.js CONFIG PREFIX FIRST LAST PASSWORD\n');
  process.exit(2);
}
const server = createServer(await loadConfigFile(configFile));
try {
  const host = server.hostNames[0]!;
  let created = 0;
  for (let i = Number(first); i <= Number(last); i++) {
    if (server.accounts.exists(host, `${prefix}${i}`)) continue;
    server.accounts.create(host, `${prefix}${i}`, password);
    created++;
  }
  process.stdout.write(`created ${created} accounts\n`);
} finally {
  server.storage.close();
}
