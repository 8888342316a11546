/**
 * @module muc-api
 * `xmpp-server-core/muc`: multi-user chat (XEP-0045) for module authors. The `muc` component
 * module owns rooms and occupants; other modules on the same component (`muc_mam`, room
 * avatars, a cluster) see rooms through the `muc` service (`module.service('muc')`) and the
 * `muc-*` events fired on the component's bus, named as Prosody's (module authors' knowledge
 * carries over). Rooms persist as `StoredRoom` values in the component's `muc_rooms` store.
 */
import type { Element } from './xml.js';
import type { FormField } from './data-forms.js';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_MUC_ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';
export const NS_MUC_ROOMINFO = 'http://jabber.org/protocol/muc#roominfo';
export const NS_MUC_REGISTER = 'http://jabber.org/protocol/muc#register';
export const NS_MUC_REQUEST = 'http://jabber.org/protocol/muc#request';
export const NS_CONFERENCE = 'jabber:x:conference';
export const NS_OCCUPANT_ID = 'urn:xmpp:occupant-id:0';

/** XEP-0045 §5.2: long-lived relations of a JID to a room. */
export type Affiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';
/** XEP-0045 §5.1: a present occupant's role. */
export type Role = 'moderator' | 'participant' | 'visitor' | 'none';

/** Who may send private messages to occupants (muc#roomconfig_allowpm). */
export type PrivateMessagePolicy = 'anyone' | 'participants' | 'moderators' | 'none';

/** A room's configuration (XEP-0045 §10.2, muc#roomconfig fields in comments). */
export interface RoomConfig {
  /** muc#roomconfig_roomname */
  readonly name: string;
  /** muc#roomconfig_roomdesc */
  readonly description: string;
  /** muc#roomconfig_lang */
  readonly language: string;
  /** muc#roomconfig_persistentroom */
  readonly persistent: boolean;
  /** muc#roomconfig_publicroom: listed in the service's disco#items */
  readonly public: boolean;
  /** muc#roomconfig_membersonly */
  readonly membersOnly: boolean;
  /** muc#roomconfig_moderatedroom: visitors may not speak */
  readonly moderated: boolean;
  /** muc#roomconfig_roomsecret, with muc#roomconfig_passwordprotectedroom ('' = none) */
  readonly password: string;
  /** muc#roomconfig_whois: who sees occupants' real JIDs */
  readonly whois: 'anyone' | 'moderators';
  /** muc#roomconfig_historylength (Prosody's field name): messages kept for history on join */
  readonly historyLength: number;
  /** muc#roomconfig_allowinvites: occupants (not only admins) may invite */
  readonly allowInvites: boolean;
  /** muc#roomconfig_allowpm */
  readonly allowPrivateMessages: PrivateMessagePolicy;
  /** muc#roomconfig_changesubject: participants (not only moderators) may change the subject */
  readonly changeSubject: boolean;
  /** muc#roomconfig_enablelogging / muc#roomconfig_enablearchiving: messages go to the room archive */
  readonly logging: boolean;
  /** muc#roomconfig_presencebroadcast: roles whose presence is broadcast */
  readonly presenceBroadcast: readonly Role[];
  /** muc#roomconfig_maxusers: most occupants (0 or absent: the service's limit) */
  readonly maxUsers?: number;
}

/** An affiliation with its optional reason and reserved nickname (muc#register). */
export interface AffiliationEntry {
  readonly affiliation: Exclude<Affiliation, 'none'>;
  readonly reason?: string;
  /** A nickname reserved by registration (XEP-0045 §7.10). */
  readonly nick?: string;
}

/** The room subject (XEP-0045 §8.1): text, and who set it (nick) and when (ms). */
export interface RoomSubject {
  readonly text: string;
  readonly nick?: string;
  readonly when: number;
}

/**
 * A persistent room as stored in the component's `muc_rooms` key-value store, keyed by the
 * room's localpart (normalised). `import-prosody` writes this shape too.
 */
export interface StoredRoom {
  readonly version: 1;
  readonly config: RoomConfig;
  /** Bare JID → affiliation (owner/admin/member/outcast), with reasons and reserved nicks. */
  readonly affiliations: Readonly<Record<string, AffiliationEntry>>;
  readonly subject?: RoomSubject;
  /** When the room was created (ms). */
  readonly created: number;
  /** The room's avatar (XEP-0486 vCard PHOTO): sha-1 hash, MIME type, base64 data. */
  readonly avatar?: { readonly hash: string; readonly type: string; readonly data: string };
}

/** A present occupant as other modules see it. */
export interface MucOccupant {
  /** The occupant JID: room@service/nick. */
  readonly jid: string;
  readonly nick: string;
  /** The real bare JID behind it. */
  readonly bareJid: string;
  readonly role: Role;
  readonly affiliation: Affiliation;
  /** XEP-0421: stable per real bare JID and room. */
  readonly occupantId: string;
  /** The real full JIDs joined under this nick (multi-session nicks), with their last presence. */
  readonly sessions: ReadonlyMap<string, Element>;
}

/** A room as other modules see it. */
export interface MucRoom {
  /** The room's bare JID. */
  readonly jid: string;
  readonly config: RoomConfig;
  readonly subject: RoomSubject | undefined;
  /** Locked rooms (XEP-0045 §10.1.1) accept only their creator until configured. */
  readonly locked: boolean;
  /** The room's avatar (XEP-0486), kept with the room: set it, then save() (persistent rooms store it). */
  avatar: StoredRoom['avatar'];
  affiliation(bareJid: string): Affiliation;
  affiliations(): ReadonlyMap<string, AffiliationEntry>;
  occupant(nick: string): MucOccupant | undefined;
  /** The occupant a real full JID is joined as. */
  occupantOf(fullJid: string): MucOccupant | undefined;
  occupants(): Iterable<MucOccupant>;
  /** Whether this real JID may read the room's history and archive (members-only rooms: members). */
  mayRead(bareJid: string): boolean;
  /** Send a stanza from the room (or an occupant JID) to every occupant, serialised once. */
  broadcast(stanza: Element, filter?: (occupant: MucOccupant) => boolean): void;
  /** Save the room now (persistent rooms only). */
  save(): void;
}

/** The `muc` service the muc module provides on its component. */
export interface MucService {
  /** The component's domain. */
  readonly host: string;
  /** A live room by bare JID (loaded from storage when persistent), or undefined. */
  room(jid: string): MucRoom | undefined;
  /** Live rooms. */
  rooms(): Iterable<MucRoom>;
}

/** A history request (XEP-0045 §7.2.15) or the room's default. */
export interface HistoryRequest {
  readonly maxchars?: number;
  readonly maxstanzas?: number;
  readonly seconds?: number;
  /** ms since the epoch */
  readonly since?: number;
}

export interface MucRoomEvent {
  readonly room: MucRoom;
  /** `muc-room-created`: the room was loaded from storage rather than created by a first join. */
  readonly loaded?: boolean;
}
export interface MucOccupantEvent { readonly room: MucRoom; readonly occupant: MucOccupant }
/**
 * `muc-broadcast-message`: a groupchat message (from = occupant JID, with occupant-id) is
 * about to be broadcast and kept as history. Handlers may add children (`muc_mam` adds the
 * room's `<stanza-id by=room/>`) and must return undefined so the others run.
 */
export interface MucMessageEvent { readonly room: MucRoom; readonly occupant: MucOccupant | undefined; readonly stanza: Element }
/**
 * `muc-get-history`: history for a joining occupant. A handler (muc_mam) that returns an
 * array of groupchat messages (with `<delay/>`) replaces the room's in-memory history. It may
 * return a promise of one (`MucHistoryResult`: an archive is read asynchronously); the room
 * then sends the history when it resolves, and the subject after it (XEP-0045 §7.2.15 order).
 */
export interface MucHistoryEvent { readonly room: MucRoom; readonly to: string; readonly request: HistoryRequest }
/** What a `muc-get-history` handler returns instead of the in-memory history. */
export type MucHistoryResult = readonly Element[] | Promise<readonly Element[]>;
/** `muc-config-form`: modules append fields to the muc#roomconfig form of a room. */
export interface MucConfigFormEvent { readonly room: MucRoom; readonly fields: FormField[] }
/**
 * `muc-config-submitted`: an owner submitted the muc#roomconfig form; modules read the fields
 * they added by `muc-config-form` (by var) and apply them. `changed` lists the RoomConfig keys
 * the engine changed.
 */
export interface MucConfigSubmittedEvent {
  readonly room: MucRoom;
  readonly fields: ReadonlyMap<string, readonly string[]>;
  readonly changed: readonly string[];
}
/** `muc-disco-info`: modules add features and muc#roominfo fields to a room's disco#info. */
export interface MucDiscoInfoEvent { readonly room: MucRoom; readonly features: string[]; readonly fields: FormField[] }
/** `muc-room-defaults`: modules adjust a new room's configuration (e.g. logging by default). */
export interface MucRoomDefaultsEvent { readonly jid: string; config: RoomConfig }

declare module './api.js' {
  interface Items {
    /** The component's rooms (provided by the muc module). */
    muc: MucService;
  }
  interface Events {
    /** Component bus: a room was created (by a first join, or loaded from storage: `loaded`). */
    'muc-room-created': MucRoomEvent;
    /** Component bus: a room was destroyed (by its owner, or emptied when not persistent). */
    'muc-room-destroyed': MucRoomEvent;
    'muc-occupant-joined': MucOccupantEvent;
    'muc-occupant-left': MucOccupantEvent;
    'muc-broadcast-message': MucMessageEvent;
    'muc-get-history': MucHistoryEvent;
    'muc-config-form': MucConfigFormEvent;
    'muc-config-submitted': MucConfigSubmittedEvent;
    'muc-disco-info': MucDiscoInfoEvent;
    'muc-room-defaults': MucRoomDefaultsEvent;
  }
}
