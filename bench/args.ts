/**
 * @module bench/args
 * Command-line flags of `npm run bench -- [flags]`, with their defaults and the --quick set.
 */
import { parseArgs } from 'node:util';

/** Every scenario, in run order; the -sm ones and hibernate run on our server only. */
export const SCENARIOS = ['connect', 'messages', 'messages-sm', 'messages-im', 'muc', 'muc-burst', 'idle', 'idle-sm', 'hibernate', 'mam-query', 'growth', 'logins', 'cluster'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
const SM_SCENARIOS: readonly ScenarioName[] = ['messages-sm', 'idle-sm', 'hibernate'];

/** Every knob of a benchmark run. */
export interface BenchOptions {
  withProsody: boolean;
  /** Also measure Debian's ejabberd (bench/targets/ejabberd.ts). */
  withEjabberd: boolean;
  /** Which of relay and ours to run (Prosody is added by withProsody). */
  targets: Set<'relay' | 'ours'>;
  /** Prosody's storage: 'sql' (SQLite, the kind ours uses) or 'internal' (its file store). */
  prosodyStorage: 'sql' | 'internal';
  scenarios: Set<ScenarioName>;
  /** connect: sessions set up. */
  sessions: number;
  /** messages: pairs of sessions. */
  pairs: number;
  /** messages: in-flight messages per sender. */
  window: number;
  /** messages: characters in each body. */
  body: number;
  /** messages: measured seconds. */
  duration: number;
  /** messages: seconds before the measured interval. */
  warmup: number;
  /** messages: also measure latency at one fixed offered load for every target. */
  sameLoad: boolean;
  /** messages, messages-sm: an open-loop offered load (msg/s) instead of the window; undefined = closed loop. */
  rate: number | undefined;
  /** muc: rooms, occupants per room, groupchat messages in flight per room. */
  rooms: number;
  occupants: number;
  mucWindow: number;
  /** muc: an open-loop offered load (messages/s per room) instead of the window. */
  mucRate: number | undefined;
  /** muc-burst: occupants of the one room, and messages sent to it one at a time. */
  burstOccupants: number;
  bursts: number;
  /** idle: sessions held. */
  idle: number;
  /** idle: rounds of open, hold, close (the second shows whether memory is reused). */
  idleRounds: number;
  /** idle: seconds the sessions are held while memory is sampled. */
  hold: number;
  /** messages-sm, idle-sm, hibernate: clients send <a h/> every this many stanzas received. */
  smAckEvery: number;
  /** hibernate: sessions that hibernate at once. */
  hibernate: number;
  /** hibernate: the server's smacks_hibernation_time for that run, seconds. */
  hibernationTime: number;
  /** hibernate: messages queued for each hibernating session. */
  hibernateMessages: number;
  /** Session setups in flight at once. */
  concurrency: number;
  /** Runs of each measurement; the report shows medians. */
  repeat: number;
  /** Also print the JSON lines on stdout. */
  json: boolean;
  /** Also print the README's Markdown figures table. */
  markdown: boolean;
  /** Render the report of a saved JSON lines file instead of measuring. */
  report: string | undefined;
  /** JSON lines file ('' = none). */
  out: string | undefined;
  /** Record a CPU profile of our server during the messages scenario. */
  profile: boolean;
  /** Keep the temp directory (configs, logs, data). */
  keep: boolean;
  /** Extra node flags for our server (e.g. --trace-gc, --max-semi-space-size=64). */
  serverFlags: string[];
  /** Options merged into our server's config for every start (e.g. smacks_max_unacked_stanzas). */
  serverConfig: Record<string, unknown>;
  /** Seconds a fresh server settles before its baseline memory is read (and idle: after close). */
  settle: number;
  /** logins: logins started per second (open loop), accounts cycled through, most setups in flight. */
  loginRate: number;
  loginAccounts: number;
  loginMaxInFlight: number;
  /** Another user's ping and the server's event-loop delay beside every measurement (bench/loop-health.ts). */
  health: boolean;
  /** growth: which rows, sizes instead of each row's defaults, units of work per step, messages' offered msg/s. */
  growthRows: GrowthRowName[];
  growthSteps: number[] | undefined;
  growthWork: number;
  growthRate: number;
  /** growth with --quick: each row without its largest step. */
  growthQuick: boolean;
  /** Load generator processes a scenario is split across (bench/workers.ts). */
  workers: number;
  /** cluster: the two nodes' shared storage, one SQLite file or a private PostgreSQL. */
  clusterStorage: 'sqlite' | 'postgres';
}

/** The rows of the growth scenario (bench/growth.ts), in run order. */
export const GROWTH_ROW_NAMES = ['messages', 'presence', 'login', 'offline', 'mam', 'muc'] as const;
export type GrowthRowName = (typeof GROWTH_ROW_NAMES)[number];

export const USAGE = `Usage: npm run bench -- [flags]
  --with-prosody       also measure Debian's prosody (0.12) on loopback, with ratios
  --with-ejabberd      also measure Debian's ejabberd (23.01; SQLite) on loopback, with ratios
  --prosody-storage S  sql (SQLite, the same kind as ours; default) or internal (Prosody's files)
  --quick              small and short (about two minutes with every scenario)
  --scenarios LIST     connect,messages,messages-sm,messages-im,muc,muc-burst,idle,idle-sm,hibernate,
                       mam-query,growth,logins,cluster
                       (default: all); muc and muc-burst run on the XMPP servers (not the relay):
                         muc          R rooms x N occupants (XEP-0045), groupchat messages in
                                      turn, W in flight per room (in flight until all N have
                                      it): copies received/s, p99, server CPU per copy
                         muc-burst    one room of B occupants; one message at a time, time
                                      until the last occupant has it
                       these run on our server only:
                         messages-sm  messages with SM on every session (acks), vs messages
                         messages-im  messages with the default module set (mam, carbons,
                                      blocklist...), vs messages (the modules Prosody runs)
                         mam-query    an archive of 1,000,000 messages across 100 contacts
                                      (built untimed, in process); the last 50 with one
                                      contact asked for 200 times over TCP (median < 20 ms)
                         idle-sm      idle sessions with SM and resumption enabled, vs idle
                         hibernate    N SM sessions cut at once, hibernating; half resumed,
                                      half expire to offline storage (exactly once)
                         growth       server CPU per unit of work as the work grows, in rows
                                      of steps (each a fresh server, data prepared untimed):
                                      messages at 10/100/1,000/9,000 pairs (9,000: the 20,000
                                      open-files hard limit) at one offered rate; a presence
                                      change to 10/100/1,000 contacts; login with a roster of
                                      10/100/1,000/5,000; 10/100/1,000 offline messages at
                                      login; a MAM page at 10k/100k/1M archived; a room of
                                      10/100/1,000 occupants (about 5 minutes)
                       on the XMPP servers offering SCRAM-SHA-256 (ours):
                         logins       sustained logins at --login-rate for --duration s, each
                                      <open/> + SCRAM-SHA-256 + bind + presence, then <close/>
                       on our server, skipped with a message without redis-server (about 30 s):
                         cluster      the messages workload on two of our server processes with
                                      the cluster module, one private redis-server and shared
                                      storage, every pair split across the nodes; and on one
                                      node (ours, no cluster module) in the same run: msg/s,
                                      p50/p99, CPU µs per message of both nodes and of Redis,
                                      Redis commands per message
  --cluster-storage S  cluster: sqlite (one file both nodes open; default) or postgres (a
                       private PostgreSQL made with initdb, run as the postgres user)
  --no-sm              leave out messages-sm, idle-sm and hibernate
  --targets LIST       relay,ours (default: both; Prosody, ejabberd come with --with-*)
  --sessions N         connect: sessions (default 2000)
  --pairs P            messages: session pairs (default 50)
  --window W           messages: in-flight messages per sender (default 10)
  --body B             messages: body characters (default 100)
  --duration D         messages: measured seconds (default 10)
  --warmup S           messages: seconds before measuring (default 2)
  --no-same-load       skip the latency run at one offered load for all targets
  --rate R             messages, messages-sm: offer R msg/s (open loop) instead of filling the
                       window, to compare server CPU per message at equal load
  --rooms R            muc: rooms (default 10)
  --occupants N        muc: occupants per room (default 20)
  --muc-window W       muc: groupchat messages in flight per room (default 4)
  --muc-rate M         muc: offer M messages/s per room (open loop) instead of the window
  --burst-occupants B  muc-burst: occupants of the room (default 1000; --quick 200)
  --bursts K           muc-burst: messages sent one at a time (default 10)
  --idle N             idle: sessions held (default 10000)
  --idle-rounds R      idle: open, hold and close the sessions R times; RSS is read after each
                       close and in each later hold (default 2)
  --hold S             idle, hibernate: seconds held while memory is sampled (default 10)
  --sm-ack-every K     SM clients send <a h/> each K stanzas received, and answer <r/> (default 5)
  --hibernate N        hibernate: sessions (accounts) hibernating at once (default 10000)
  --hibernation-time S hibernate: the server's smacks_hibernation_time for that run; the hold,
                       queueing and resuming half must fit in it (default 30)
  --hibernate-messages M  hibernate: messages queued for each hibernating session (default 1)
  --concurrency C      setups in flight (default 50)
  --workers N          the load generator as N processes, the sessions split across them
                       (messages: pairs, connect/idle: sessions, muc: rooms), measuring
                       together; results merged (percentiles from all samples). muc-burst,
                       hibernate and mam-query run in one process. (default 1: on 2 cores a
                       second generator takes CPU from the server; see the README)
  --repeat R           runs of each measurement, medians reported (default 1)
  --json               JSON lines on stdout too
  --markdown           the README's figures table (Markdown) on stdout too
  --report FILE        print the report of a saved JSON lines file (no measuring)
  --out FILE           JSON lines file (default bench/results/<time>.jsonl; "" for none)
  --profile            CPU profile of our server (one file per server start, in $TMPDIR/xmpp-bench-profiles)
  --settle S           seconds a fresh server settles before its baseline memory is read;
                       idle: RSS after close is read within 10 S of the close (default 1)
  --server-flags=F     extra node flags for our server, space-separated, with '=' (e.g.
                       --server-flags=--trace-gc: its output goes to server.log, see --keep)
  --server-config JSON options merged into our server's config, e.g.
                       '{"smacks_max_unacked_stanzas": 10}'
  --keep               keep the temporary directory
  --growth LIST        growth: rows to run: messages,presence,login,offline,mam,muc (default all)
  --growth-steps LIST  growth: these sizes for every row instead of its defaults (e.g. 2,4);
                       --quick leaves out each row's largest default step
  --growth-work N      growth: units of work per step (default 20000; --quick 5000): messages
                       measured, presence/groupchat copies, offline messages x 2; logins and
                       MAM queries follow from it (see unitsFor in bench/growth.ts)
  --growth-rate R      growth: messages offered per second at every step (default 4000)
  --login-rate R       logins: logins started per second, open loop (default 1000)
  --login-accounts N   logins: accounts used in turn (default 1000)
  --login-max-in-flight M  logins: most setups open at once; a login due beyond it is skipped
                       and counted (default 5000; the server holds at most ~ulimit -n sockets)
  --no-health          no probe session (another user's ping every 20 ms) and no /metrics
                       scrapes beside the measurements`;

function positive(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got ${value}`);
  return n;
}

function jsonObject(name: string, value: string | undefined): Record<string, unknown> {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new Error(`--${name} must be a JSON object: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`--${name} must be a JSON object, got ${value}`);
  return parsed as Record<string, unknown>;
}

function growthRows(value: string | undefined): GrowthRowName[] {
  const rows = (value ?? GROWTH_ROW_NAMES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of rows) if (!(GROWTH_ROW_NAMES as readonly string[]).includes(r)) throw new Error(`unknown growth row ${r}`);
  return rows as GrowthRowName[];
}

/** Parse the flags; throws with a message on a bad one. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'with-prosody': { type: 'boolean' }, 'with-ejabberd': { type: 'boolean' }, 'prosody-storage': { type: 'string' }, quick: { type: 'boolean' }, scenarios: { type: 'string' }, targets: { type: 'string' },
      sessions: { type: 'string' }, pairs: { type: 'string' }, window: { type: 'string' }, body: { type: 'string' },
      duration: { type: 'string' }, warmup: { type: 'string' }, 'no-same-load': { type: 'boolean' }, rate: { type: 'string' },
      rooms: { type: 'string' }, occupants: { type: 'string' }, 'muc-window': { type: 'string' }, 'muc-rate': { type: 'string' },
      'burst-occupants': { type: 'string' }, bursts: { type: 'string' },
      idle: { type: 'string' }, 'idle-rounds': { type: 'string' }, hold: { type: 'string' }, concurrency: { type: 'string' }, repeat: { type: 'string' },
      'no-sm': { type: 'boolean' }, 'sm-ack-every': { type: 'string' }, hibernate: { type: 'string' }, 'hibernation-time': { type: 'string' }, 'hibernate-messages': { type: 'string' },
      json: { type: 'boolean' }, markdown: { type: 'boolean' }, report: { type: 'string' }, out: { type: 'string' }, profile: { type: 'boolean' }, keep: { type: 'boolean' }, settle: { type: 'string' },
      'login-rate': { type: 'string' }, 'login-accounts': { type: 'string' }, 'login-max-in-flight': { type: 'string' }, 'no-health': { type: 'boolean' },
      'server-flags': { type: 'string' }, 'server-config': { type: 'string' }, workers: { type: 'string' },
      growth: { type: 'string' }, 'growth-steps': { type: 'string' }, 'growth-work': { type: 'string' }, 'growth-rate': { type: 'string' }, 'cluster-storage': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const q = values.quick === true;
  const scenarios = new Set((values.scenarios ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()).filter(Boolean));
  for (const s of scenarios) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}`);
  if (values['no-sm']) for (const s of SM_SCENARIOS) scenarios.delete(s);
  const targets = new Set((values.targets ?? 'relay,ours').split(',').map((s) => s.trim()).filter(Boolean));
  for (const t of targets) if (t !== 'relay' && t !== 'ours') throw new Error(`unknown target ${t} (prosody, ejabberd: use --with-prosody, --with-ejabberd)`);
  const prosodyStorage = values['prosody-storage'] ?? 'sql';
  if (prosodyStorage !== 'sql' && prosodyStorage !== 'internal') throw new Error(`--prosody-storage must be sql or internal, got ${prosodyStorage}`);
  const clusterStorage = values['cluster-storage'] ?? 'sqlite';
  if (clusterStorage !== 'sqlite' && clusterStorage !== 'postgres') throw new Error(`--cluster-storage must be sqlite or postgres, got ${clusterStorage}`);
  const options: BenchOptions = {
    withProsody: values['with-prosody'] === true,
    withEjabberd: values['with-ejabberd'] === true,
    prosodyStorage,
    targets: targets as BenchOptions['targets'],
    scenarios: scenarios as BenchOptions['scenarios'],
    sessions: positive('sessions', values.sessions, q ? 300 : 2000),
    pairs: positive('pairs', values.pairs, q ? 20 : 50),
    window: positive('window', values.window, 10),
    body: positive('body', values.body, 100, 0),
    duration: positive('duration', values.duration, q ? 3 : 10, 0.1),
    warmup: positive('warmup', values.warmup, q ? 1 : 2, 0),
    sameLoad: values['no-same-load'] !== true,
    rate: values.rate === undefined ? undefined : positive('rate', values.rate, 1),
    rooms: positive('rooms', values.rooms, q ? 4 : 10),
    occupants: positive('occupants', values.occupants, q ? 10 : 20),
    mucWindow: positive('muc-window', values['muc-window'], 4),
    mucRate: values['muc-rate'] === undefined ? undefined : positive('muc-rate', values['muc-rate'], 0.1, 0.1),
    burstOccupants: positive('burst-occupants', values['burst-occupants'], q ? 200 : 1000, 2),
    bursts: positive('bursts', values.bursts, q ? 5 : 10),
    idle: positive('idle', values.idle, q ? 1000 : 10000),
    idleRounds: positive('idle-rounds', values['idle-rounds'], 2),
    hold: positive('hold', values.hold, q ? 3 : 10, 0),
    smAckEvery: positive('sm-ack-every', values['sm-ack-every'], 5, 0),
    hibernate: positive('hibernate', values.hibernate, q ? 1000 : 10000),
    hibernationTime: positive('hibernation-time', values['hibernation-time'], q ? 15 : 30),
    hibernateMessages: positive('hibernate-messages', values['hibernate-messages'], 1),
    concurrency: positive('concurrency', values.concurrency, 50),
    repeat: positive('repeat', values.repeat, 1),
    json: values.json === true,
    markdown: values.markdown === true,
    report: values.report,
    out: values.out,
    profile: values.profile === true,
    keep: values.keep === true,
    serverFlags: (values['server-flags'] ?? '').split(/\s+/).filter(Boolean),
    serverConfig: jsonObject('server-config', values['server-config']),
    settle: positive('settle', values.settle, 1, 0),
    growthRows: growthRows(values.growth),
    growthSteps: values['growth-steps']?.split(',').map((v) => positive('growth-steps', v.trim(), 1)),
    growthWork: positive('growth-work', values['growth-work'], q ? 5000 : 20000),
    growthRate: positive('growth-rate', values['growth-rate'], 4000),
    growthQuick: q,
    loginRate: positive('login-rate', values['login-rate'], 1000),
    loginAccounts: positive('login-accounts', values['login-accounts'], 1000),
    loginMaxInFlight: positive('login-max-in-flight', values['login-max-in-flight'], 5000),
    health: values['no-health'] !== true,
    workers: Math.floor(positive('workers', values.workers, 1)),
    clusterStorage,
  };
  if (scenarios.has('hibernate') && options.hibernationTime <= options.hold) {
    throw new Error(`--hibernation-time (${options.hibernationTime} s) must leave time after the --hold (${options.hold} s) to queue messages and resume`);
  }
  return options;
}
