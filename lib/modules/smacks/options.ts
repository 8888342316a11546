/**
 * @module smacks/options
 * The options of stream management, with Prosody's mod_smacks names and defaults.
 */
import { option, type OptionValues } from '../../core/api.js';

export const SMACKS_OPTIONS = {
  smacks_hibernation_time: option.number({
    default: 600, min: 1,
    doc: 'Seconds a stream management session whose connection was cut stays resumable (XEP-0198 <enabled max>); its resource and presence stay, and stanzas for it are queued. Then it ends and what was queued goes to other resources, offline storage, or back to senders.',
  }),
  smacks_location: option.string({
    default: '',
    doc: "Where clients should reconnect to resume ('host:port', XEP-0198 <enabled location>), e.g. this node's own address behind a load balancer; empty = not announced.",
  }),
  smacks_max_unacked_stanzas: option.integer({
    default: 0, min: 0,
    doc: 'Unacknowledged stanzas above which the server asks the client for an ack (<r/>, one at a time).',
  }),
  smacks_max_inactive_unacked_stanzas: option.integer({
    default: 256, min: 0,
    doc: 'The same while the client says it is inactive (XEP-0352, with csi_simple): fewer ack requests wake fewer phones.',
  }),
  smacks_max_ack_delay: option.number({
    default: 30, min: 0,
    doc: 'Seconds after which stanzas waiting unacknowledged (below smacks_max_unacked_stanzas) get an ack request, and an ack request may stay unanswered before smacks-ack-delayed fires (push modules act on it); 0 = never.',
  }),
  smacks_max_queue_size: option.integer({
    default: 500, min: 1,
    doc: 'Most unacknowledged stanzas held per session (connected or hibernating); beyond it the session ends with resource-constraint and the queue is re-routed.',
  }),
  smacks_max_hibernation_bytes: option.integer({
    default: 4 * 1024 * 1024, min: 65536,
    doc: 'Most bytes of stanzas (serialised) held for one hibernating session; beyond it the session ends at once and what it held is re-routed (other resources, offline storage, errors to senders). Bounds what a sleeping session can make the server hold.',
  }),
  smacks_max_hibernated_sessions: option.integer({
    default: 10, min: 1,
    doc: "Most hibernating sessions per account; the oldest one ends when another hibernates.",
  }),
  smacks_max_old_sessions: option.integer({
    default: 10, min: 0,
    doc: "Ended sessions per account whose final h is kept, so a late <resume/> gets <failed h='...'/> and the client knows what was delivered.",
  }),
};

export type SmacksOptions = OptionValues<typeof SMACKS_OPTIONS>;
