/**
 * @module muc/rooms
 * The rooms of one muc component: live rooms in memory, persistent ones loaded from the
 * `muc_rooms` store on demand (Prosody's restore on first stanza), created on first join with
 * the component's defaults (adjusted by `muc-room-defaults`), and dropped when destroyed or,
 * for temporary rooms, emptied. Empty persistent rooms stay cached (with their history) up to
 * muc_room_cache_size. Public rooms are listed from a cache, without loading every room.
 */
import { parseJid } from '../../core/api.js';
import type { RoomConfig } from '../../core/muc-api.js';
import type { MucContext } from './context.js';
import { Room, type RoomOwner } from './room.js';

export class RoomRegistry implements RoomOwner {
  readonly #live = new Map<string, Room>();
  /** Empty persistent rooms kept in memory, oldest first. */
  readonly #idle = new Set<Room>();
  /** Public rooms' names by JID, built on first listing. */
  #public: Map<string, string> | undefined;
  /** Rooms live on other cluster nodes too (the component's own address was handed here): the listing is read from storage each time. */
  #shared = false;

  constructor(readonly ctx: MucContext) {}

  /** The configuration a new room starts with (Prosody's muc_room_default_* options). */
  defaults(lang?: string): RoomConfig {
    const o = this.ctx.options;
    return {
      name: '', description: '', language: o.muc_room_default_language ?? lang ?? '',
      persistent: o.muc_room_default_persistent, public: o.muc_room_default_public,
      membersOnly: o.muc_room_default_members_only, moderated: o.muc_room_default_moderated,
      password: '', whois: o.muc_room_default_public_jids ? 'anyone' : 'moderators',
      historyLength: Math.min(o.muc_room_default_history_length, o.max_history_messages),
      allowInvites: o.muc_room_default_allow_member_invites, allowPrivateMessages: o.muc_room_default_allow_pm,
      changeSubject: o.muc_room_default_change_subject, logging: false,
      presenceBroadcast: o.muc_room_default_presence_broadcast,
    };
  }

  /** A live room, or a persistent one loaded from storage; undefined when there is none. */
  get(jid: string): Room | undefined {
    const live = this.#live.get(jid);
    if (live) {
      if (this.#idle.delete(live)) this.#idle.add(live);
      return live;
    }
    const local = parseJid(jid)?.local;
    if (local === undefined) return undefined;
    const stored = this.ctx.store.get(local);
    if (!stored || typeof stored !== 'object' || !stored.config) return undefined;
    const room = new Room(this.ctx, this, jid, { ...this.defaults(), ...stored.config }, stored);
    this.#live.set(jid, room);
    this.#idle.add(room);
    this.ctx.module.fire('muc-room-created', { room, loaded: true });
    this.#trimIdle();
    return room;
  }

  /** Live rooms (persistent rooms not loaded are not among them). */
  live(): IterableIterator<Room> {
    return this.#live.values();
  }

  get size(): number {
    return this.#live.size;
  }

  /** A new room for its first occupant (XEP-0045 §10.1.1): defaults, then `muc-room-defaults`. */
  create(jid: string, lang?: string): Room {
    const event = { jid, config: this.defaults(lang) };
    this.ctx.module.fire('muc-room-defaults', event);
    const room = new Room(this.ctx, this, jid, event.config);
    this.#live.set(jid, room);
    return room;
  }

  /**
   * Forget what is in memory of `jid` without a word to anyone: another cluster node handled
   * it meanwhile (`address-owned`), so the stored room is the truth. The component's own name
   * means rooms live on several nodes: the public rooms' listing is read from storage each time.
   */
  forget(jid: string): void {
    if (jid === this.ctx.host) {
      this.#public = undefined;
      this.#shared = true;
      return;
    }
    const room = this.#live.get(jid);
    if (!room) return;
    room.lockTimer?.cancel();
    this.#live.delete(jid);
    this.#idle.delete(room);
  }

  emptied(room: Room): void {
    if (!room.config.persistent || room.locked) {
      room.destroy();
      return;
    }
    this.#idle.add(room);
    this.#trimIdle();
  }

  /** An occupant joined: the room is no longer idle. */
  occupied(room: Room): void {
    this.#idle.delete(room);
  }

  destroyed(room: Room): void {
    this.#live.delete(room.jid);
    this.#idle.delete(room);
    this.#public?.delete(room.jid);
    this.ctx.module.fire('muc-room-destroyed', { room });
  }

  saved(room: Room): void {
    if (!this.#public) return;
    if (room.config.public && !room.locked) this.#public.set(room.jid, room.config.name);
    else this.#public.delete(room.jid);
  }

  /** Public rooms (XEP-0045 §6.3), live and stored, with their names. */
  publicRooms(): { jid: string; name: string }[] {
    if (!this.#public || this.#shared) {
      const found = new Map<string, string>();
      for (const local of this.ctx.store.users()) {
        const jid = `${local}@${this.ctx.host}`;
        if (this.#live.has(jid)) continue;
        const stored = this.ctx.store.get(local);
        if (stored?.config?.public) found.set(jid, stored.config.name ?? '');
      }
      this.#public = found;
    }
    for (const room of this.#live.values()) this.saved(room);
    return [...this.#public].map(([jid, name]) => ({ jid, name }));
  }

  #trimIdle(): void {
    while (this.#idle.size > this.ctx.options.muc_room_cache_size) {
      const oldest = this.#idle.values().next().value!;
      this.#idle.delete(oldest);
      this.#live.delete(oldest.jid);
    }
  }
}
