/**
 * @module storage/checkpoint-worker
 * The SQLite WAL checkpointer, in a worker thread: it copies committed pages from the WAL into
 * the database file and syncs it, every `intervalMs` (PASSIVE: never waits for, nor blocks, the
 * server's own connection). With it, commits on the event loop only append to the WAL; the
 * copying and the fsync that SQLite would otherwise do inside a commit happen here. Under
 * constant writes a passive checkpoint never catches up with the end of the WAL, so the WAL
 * cannot start over; past `maxWalBytes` a TRUNCATE checkpoint (which briefly holds writers)
 * bounds it.
 */
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

interface Data { readonly file: string; readonly intervalMs: number; readonly maxWalBytes: number }

const { file, intervalMs, maxWalBytes } = workerData as Data;
const db = new Database(file);
db.pragma('busy_timeout = 1000');
let closed = false;
const run = (mode: 'PASSIVE' | 'TRUNCATE'): void => {
  try {
    db.pragma(`wal_checkpoint(${mode})`);
  } catch (err) {
    parentPort?.postMessage({ error: (err as Error).message });
  }
};
const walSize = (): number => {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
};
const timer = setInterval(() => { run(walSize() > maxWalBytes ? 'TRUNCATE' : 'PASSIVE'); }, intervalMs);
parentPort?.on('message', (msg: unknown) => {
  if (msg !== 'stop' || closed) return;
  closed = true;
  clearInterval(timer);
  db.close();
  parentPort?.postMessage('stopped');
});
