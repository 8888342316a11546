/**
 * @module storage/postgres-archive-worker
 * The PostgreSQL archive writer thread (started by PostgresDriver.startBackgroundWork), with its
 * own connection; it speaks the SQLite worker's protocol (storage-worker-protocol.ts), so the
 * server's WorkerSink drives it unchanged. Rows handed over each turn of the event loop are
 * written as one multi-row INSERT (columns as arrays through `unnest`, owners resolved once per
 * distinct archive), one transaction per batch, at most one commit per `commitMs`
 * (archive_commit_interval) while rows keep coming, more only past `maxBatch` rows.
 *
 * A barrier is answered only after the COMMIT that took every row before it (stream management
 * acks wait on it: acknowledged = committed). When a batch fails because the database is
 * unreachable its rows are kept and retried (backing off to 2 s) and barriers keep waiting; a
 * batch PostgreSQL refuses for another reason is reported lost, as the SQLite worker does.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isUnreachable } from './postgres-breaker.js';
import { makePool } from './postgres-pool.js';
import type { PgArchiveWorkerData } from './postgres-protocol.js';
import { unpackRows, type FromWorker, type ToWorker, type WorkerRow } from './storage-worker-protocol.js';

const { connection, queryTimeoutMs, commitMs, maxBatch } = workerData as PgArchiveWorkerData;
const post = (m: FromWorker): void => { parentPort?.postMessage(m); };
const pool = makePool(connection, 1, queryTimeoutMs, () => undefined);

/** Rows kept while the database is unreachable, at most; past it the oldest batch is reported lost. */
const MAX_KEPT = 200_000;

const INSERT = `
  WITH r AS MATERIALIZED (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[])
      AS t(host, store, username, sort, with_jid, with_resource, value)),
  o AS MATERIALIZED (
    SELECT d.host, d.store, d.username, xs_archive_owner_id(d.host, d.store, d.username) AS id
    FROM (SELECT DISTINCT host, store, username FROM r) d)
  INSERT INTO xs_archive (owner, sort, with_jid, with_resource, value)
  SELECT o.id, r.sort, r.with_jid, r.with_resource, r.value FROM r JOIN o USING (host, store, username)
  ON CONFLICT DO NOTHING`;

let pending: WorkerRow[] = [];
let waiting: number[] = [];
let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
let lastCommit = 0;
let busy = false;
let retryMs = 0;
/** After `stop`: one last attempt, then whatever fails is reported lost. */
let stopping = false;
/** Work queued behind the batch in flight (purges, stop), run in order. */
const after: (() => Promise<void>)[] = [];

async function insert(batch: readonly WorkerRow[]): Promise<void> {
  const cols: unknown[][] = [[], [], [], [], [], [], []];
  for (const { host, store, user, entry } of batch) {
    cols[0]!.push(host); cols[1]!.push(store); cols[2]!.push(user); cols[3]!.push(entry.sort);
    cols[4]!.push(entry.with); cols[5]!.push(entry.withResource ?? null); cols[6]!.push(entry.value);
  }
  await pool.query({ name: 'xs_archive_batch', text: INSERT, values: cols }); // one statement: one transaction
}

/** Commit what is pending, then answer the barriers that waited for it. */
async function commit(): Promise<void> {
  if (timer !== undefined) {
    clearTimeout(timer as NodeJS.Timeout);
    clearImmediate(timer as NodeJS.Immediate);
    timer = undefined;
  }
  if (busy) return;
  busy = true;
  lastCommit = Date.now();
  const batch = pending;
  const answered = waiting;
  pending = [];
  waiting = [];
  try {
    try {
      if (batch.length > 0) await insert(batch);
      retryMs = 0;
      for (const id of answered) post({ t: 'stored', id });
    } catch (err) {
      if (!stopping && isUnreachable(err) && batch.length + pending.length <= MAX_KEPT) {
        pending = batch.concat(pending); // kept, in order, for the retry; barriers keep waiting
        waiting = answered.concat(waiting);
        retryMs = Math.min(2000, Math.max(250, retryMs * 2));
        post({ t: 'error', message: `archive writer: ${(err as Error).message}; ${pending.length} rows kept, retrying in ${retryMs} ms` });
      } else {
        post({ t: 'error', message: (err as Error).message, rows: batch.length });
        for (const id of answered) post({ t: 'stored', id });
      }
    }
    // purges and the stop queued behind this batch run before anything else counts as done:
    // a barrier that arrives meanwhile waits for them (busy), not only for the rows
    while (after.length > 0 && retryMs === 0) await after.shift()!();
  } finally {
    busy = false;
  }
  if (pending.length > 0 || waiting.length > 0) schedule();
}

/** Commit soon: at once after an idle spell or past maxBatch rows, else once commitMs has passed since the last. */
function schedule(): void {
  if (busy || timer !== undefined) return;
  if (pending.length >= maxBatch && retryMs === 0) {
    void commit();
    return;
  }
  const wait = Math.max(retryMs, lastCommit + commitMs - Date.now());
  timer = wait <= 0 ? setImmediate(() => { void commit(); }) : setTimeout(() => { void commit(); }, wait);
}

/** Run `work` after everything handed over before it is committed. */
function then(work: () => Promise<void>): void {
  after.push(work);
  if (!busy && retryMs === 0) void commit();
}

parentPort?.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'rows': {
      let previous = '';
      for (const chunk of m.rows) previous = unpackRows(chunk, pending, previous);
      schedule();
      return;
    }
    case 'barrier':
      if (pending.length === 0 && !busy && after.length === 0) {
        post({ t: 'stored', id: m.id });
        return;
      }
      waiting.push(m.id);
      schedule();
      return;
    case 'purge':
      then(async () => {
        try {
          await pool.query('DELETE FROM xs_archive WHERE owner IN (SELECT id FROM xs_archive_owner WHERE host = $1 AND username = $2)', [m.host, m.user]);
        } catch (err) {
          post({ t: 'error', message: `purge: ${(err as Error).message}` });
        }
      });
      return;
    case 'stop':
      stopping = true;
      retryMs = 0; // one last attempt
      then(async () => {
        if (pending.length > 0) post({ t: 'error', message: 'archive writer stopping with the database unreachable', rows: pending.length });
        await pool.end().catch(() => undefined);
        post({ t: 'stopped' });
      });
  }
});
