/**
 * @module storage/storage-worker
 * The SQLite worker thread (started by SqliteDriver.startBackgroundWork), with its own
 * connection to the server's database file. It does the storage work the event loop must not:
 * - archive rows: the server hands over what it archived each turn of the event loop; they are
 *   written here in one transaction per batch (SqliteArchive.appendRows: grouped by archive, a
 *   message's text once for both archives that hold it). A commit writes every page its rows
 *   touch, so while rows keep coming it waits `commitMs` (archive_commit_interval) after the
 *   last one to gather more: measured on this schema, 200 rows per commit cost about 3× per row
 *   what 5,000 do. A barrier is answered by the commit that takes everything before it (stream
 *   management acks and archive reads wait for one); a purge runs in order after the rows
 *   before it.
 * - WAL checkpoints, every `checkpointMs` (PASSIVE: never waits for, nor blocks, the server's
 *   connection). Under constant writes a passive checkpoint never reaches the end of the WAL, so
 *   past `maxWalBytes` a TRUNCATE checkpoint (which holds writers for a moment) bounds it.
 */
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { unpackRows, type FromWorker, type ToWorker, type WorkerRow } from './storage-worker-protocol.js';
import { SqliteArchive } from './sqlite-archive.js';

interface Data { readonly file: string; readonly checkpointMs: number; readonly maxWalBytes: number; readonly commitMs: number; readonly maxBatch: number }

const { file, checkpointMs, maxWalBytes, commitMs, maxBatch } = workerData as Data;
const db = new Database(file);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
const archive = new SqliteArchive(db);
const post = (m: FromWorker): void => { parentPort?.postMessage(m); };

let pending: WorkerRow[] = [];
/** Barriers answered by the next commit. */
let waiting: number[] = [];
let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
let lastCommit = 0;

/**
 * Commit what is pending, then answer the barriers that waited for it. A commit writes every
 * page its rows touched, so rows per commit decide the cost per row: at most one commit per
 * `commitMs` (an idle worker commits at once), more only past `maxBatch` rows.
 */
function commit(): void {
  if (timer !== undefined) {
    clearTimeout(timer as NodeJS.Timeout);
    clearImmediate(timer as NodeJS.Immediate);
    timer = undefined;
  }
  lastCommit = Date.now();
  if (pending.length > 0) {
    const batch = pending;
    pending = [];
    try {
      archive.appendRows(batch); // one transaction; texts shared by consecutive rows
    } catch (err) {
      post({ t: 'error', message: (err as Error).message, rows: batch.length });
    }
  }
  const answered = waiting;
  waiting = [];
  for (const id of answered) post({ t: 'stored', id });
}

/** Commit soon: at once after an idle spell or past maxBatch rows, else once commitMs has passed since the last. */
function schedule(): void {
  if (pending.length >= maxBatch) {
    commit();
    return;
  }
  if (timer !== undefined) return;
  const wait = lastCommit + commitMs - Date.now();
  timer = wait <= 0 ? setImmediate(commit) : setTimeout(commit, wait);
}

const checkpoint = (): void => {
  let wal = 0;
  try {
    wal = statSync(`${file}-wal`).size;
  } catch {
    // no WAL file yet
  }
  try {
    db.pragma(`wal_checkpoint(${wal > maxWalBytes ? 'TRUNCATE' : 'PASSIVE'})`);
  } catch (err) {
    post({ t: 'error', message: `checkpoint: ${(err as Error).message}` });
  }
};
const checkpoints = setInterval(checkpoint, checkpointMs);

parentPort?.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'rows': {
      let previous = '';
      for (const chunk of m.rows) previous = unpackRows(chunk, pending, previous);
      schedule();
      return;
    }
    case 'barrier':
      if (pending.length === 0) {
        post({ t: 'stored', id: m.id });
        return;
      }
      waiting.push(m.id); // answered with the commit that takes what came before it
      schedule();
      return;
    case 'purge':
      commit();
      try {
        archive.purgeUser(m.host, m.user);
      } catch (err) {
        post({ t: 'error', message: `purge: ${(err as Error).message}` });
      }
      return;
    case 'stop':
      commit();
      clearInterval(checkpoints);
      db.close();
      post({ t: 'stopped' });
  }
});
