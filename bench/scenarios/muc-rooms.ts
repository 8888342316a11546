/**
 * @module bench/scenarios/muc-rooms
 * What the group chat scenarios share: sessions logged in and joined to rooms on the target's
 * MUC service (XEP-0045 §7.2), each occupant told apart by its nick, and the check of one
 * received groupchat copy (which room, which message, for whom).
 */
import { closeAll, connectionFor, inParallel, openMany } from '../client/pool.js';
import { attribute, escapeXml } from '../client/stanza-text.js';
import type { BenchConnection } from '../client/connection.js';
import type { CommonParams } from '../protocol.js';

const NS_MUC = 'http://jabber.org/protocol/muc';

/** One joined session. */
export interface Occupant {
  readonly conn: BenchConnection;
  /** Index of the room, and of the occupant in it. */
  readonly room: number;
  readonly index: number;
  /** The room's bare JID. */
  readonly roomJid: string;
}

/** Joined rooms: `rooms[r][k]` is occupant k of room r. */
export interface JoinedRooms {
  readonly rooms: Occupant[][];
  readonly seconds: number;
  close(): Promise<void>;
}

/** The self-presence that ends a join (XEP-0045 §7.2.3: status 110, from our occupant JID). */
function isSelfPresence(text: string, occupantJid: string): boolean {
  return text.startsWith('<presence') && attribute(text, 'from') === occupantJid && attribute(text, 'type') !== 'error' && /code=["']110["']/.test(text);
}

/** Join `conn` as `nick` (no history: XEP-0045 §7.2.15 maxstanzas 0); resolves on the self-presence. */
function join(conn: BenchConnection, roomJid: string, nick: string, timeoutMs: number): Promise<void> {
  const occupantJid = `${roomJid}/${nick}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`join ${occupantJid}: no self-presence in ${timeoutMs} ms`)), timeoutMs);
    conn.onStanza = (text) => {
      if (text.startsWith('<presence') && attribute(text, 'from') === occupantJid && attribute(text, 'type') === 'error') {
        clearTimeout(timer);
        reject(new Error(`join ${occupantJid} refused: ${text.slice(0, 300)}`));
      } else if (isSelfPresence(text, occupantJid)) {
        clearTimeout(timer);
        conn.onStanza = () => {};
        resolve();
      }
    };
    conn.send(`<presence xmlns="jabber:client" to="${escapeXml(occupantJid)}"><x xmlns="${NS_MUC}"><history maxstanzas="0"/></x></presence>`);
  });
}

/**
 * Log in `rooms × occupants` sessions (accounts 1..) and join occupant k of room r as `u<k>`
 * to `<prefix><r>@<service>`; the first occupant of each room creates it (the targets run
 * without room locking), the others join `concurrency` at a time.
 */
export async function joinRooms(p: CommonParams, service: string, prefix: string, rooms: number, occupants: number, progress: (text: string) => void): Promise<JoinedRooms> {
  const count = rooms * occupants;
  const opened = await openMany(count, p.concurrency, (i) => connectionFor(p, i + 1));
  if (opened.failed > 0) {
    await closeAll(opened.connections, p.concurrency);
    throw new Error(`${opened.failed} sessions failed to set up: ${opened.errors.join('; ')}`);
  }
  const conns = opened.connections as BenchConnection[];
  const t0 = performance.now();
  const list: Occupant[][] = [];
  for (let r = 0; r < rooms; r++) {
    const roomJid = `${prefix}${r}@${service}`;
    list.push(Array.from({ length: occupants }, (_, k) => ({ conn: conns[r * occupants + k]!, room: r, index: k, roomJid })));
  }
  // Cut, not closed: a graceful leave of N occupants is N more presence broadcasts to the
  // rest (O(N²) stanzas, minutes on Prosody for 1,000), and the server process is stopped
  // after the measurement anyway.
  const close = async (): Promise<void> => {
    for (const c of conns) {
      c.onLost = () => {};
      c.terminate();
    }
  };
  try {
    // the creators first, then everyone else
    await inParallel(rooms, p.concurrency, (r) => join(list[r]![0]!.conn, list[r]![0]!.roomJid, 'u0', p.timeoutMs));
    const rest = list.flatMap((room) => room.slice(1));
    let done = 0;
    await inParallel(rest.length, p.concurrency, async (i) => {
      const o = rest[i]!;
      await join(o.conn, o.roomJid, `u${o.index}`, p.timeoutMs);
      if (++done % 500 === 0) progress(`${done + rooms} of ${count} occupants joined`);
    });
  } catch (err) {
    await close();
    throw err;
  }
  // the last joins' presence broadcasts are still on their way: let them land
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { rooms: list, seconds: (performance.now() - t0) / 1000, close };
}

/** A groupchat message's id in these scenarios: `g<room>-<seq>`. */
export function messageText(roomJid: string, room: number, seq: number, body: string): string {
  return `<message xmlns="jabber:client" to="${roomJid}" type="groupchat" id="g${room}-${seq}"><body>${body}</body></message>`;
}

/** What a received copy is: its room and sequence number, or why it is misrouted/an error. */
export function parseCopy(text: string, o: Occupant): { room: number; seq: number } | 'other' | 'error' | 'misrouted' {
  if (!text.startsWith('<message')) return 'other';
  if (attribute(text, 'type') === 'error') return 'error';
  if (attribute(text, 'type') !== 'groupchat') return 'other';
  const from = attribute(text, 'from') ?? '';
  // the subject (XEP-0045 §7.2.16) has no body; not part of the count
  if (!text.includes('<body')) return 'other';
  const m = /^g(\d+)-(\d+)$/.exec(attribute(text, 'id') ?? '');
  if (m === null || !from.startsWith(`${o.roomJid}/`) || attribute(text, 'to') !== o.conn.jid) return 'misrouted';
  const room = Number(m[1]);
  if (room !== o.room) return 'misrouted';
  return { room, seq: Number(m[2]) };
}
