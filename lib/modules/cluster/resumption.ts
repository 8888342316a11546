/**
 * @module cluster/resumption
 * Stream management resumption on another node (XEP-0198 §5): a `<resume/>` on this node names
 * a session it does not hold. Stream management asks (`smacks-resume-elsewhere`); this node
 * asks every other node on the registry channel; the node holding the session stores it with
 * its unacknowledged queue in the shared storage and closes it as resumable
 * (`smacks-release`), then answers; stream management here takes it from storage, once
 * (taking it deletes it). The answer comes when the holder answered, when every node has
 * answered that it does not hold it, or after a short wait.
 */
import { randomBytes } from 'node:crypto';
import type { ModuleApi } from '../../core/api.js';
import type { ClusterKeys, NodeMessage, RegistryMessage } from './records.js';
import type { RedisLink } from './redis-link.js';

/** Longest wait for the other nodes' answers. */
const MAX_WAIT_MS = 3000;

interface Pending {
  /** Answers expected (the other subscribers when the request was published); Infinity until known. */
  expected: number;
  answers: number;
  done(): void;
}

export class Resumption {
  readonly #name: string;
  readonly #keys: ClusterKeys;
  readonly #link: RedisLink;
  readonly #module: ModuleApi;
  readonly #pending = new Map<string, Pending>();
  readonly #waitMs: number;

  constructor(name: string, keys: ClusterKeys, link: RedisLink, module: ModuleApi, timeoutMs: number) {
    this.#name = name;
    this.#keys = keys;
    this.#link = link;
    this.#module = module;
    this.#waitMs = Math.min(MAX_WAIT_MS, timeoutMs);
  }

  /** Ask the other nodes to store the session with this token; resolves when it is stored or nobody holds it. */
  ask(host: string, username: string, token: string): Promise<void> {
    if (!this.#link.ready) return Promise.resolve();
    const id = randomBytes(9).toString('base64url');
    return new Promise<void>((resolve) => {
      const done = (): void => {
        if (!this.#pending.delete(id)) return;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, this.#waitMs);
      const pending: Pending = { expected: Infinity, answers: 0, done };
      this.#pending.set(id, pending);
      const request: RegistryMessage = { node: this.#name, op: 'release', id, host, username, token };
      this.#link.cmd.publish(this.#keys.registry, JSON.stringify(request)).then((receivers) => {
        pending.expected = receivers - 1; // every subscriber but this node
        if (pending.answers >= pending.expected) done();
      }, done);
    });
  }

  /** Another node asks: store the session if this node holds it, and answer either way. */
  requested(m: Extract<RegistryMessage, { op: 'release' }>): void {
    let held = false;
    try {
      held = this.#module.server.hostEvents(m.host)?.fire('smacks-release', { username: m.username, token: m.token }) === true;
    } catch (err) {
      this.#module.log.error({ err }, 'smacks-release failed');
    }
    const answer: NodeMessage = { op: 'released', id: m.id, held };
    this.#link.cmd.publish(this.#keys.channel(m.node), JSON.stringify(answer)).catch(() => undefined);
  }

  /** An answer to one of this node's requests. */
  answered(m: Extract<NodeMessage, { op: 'released' }>): void {
    const pending = this.#pending.get(m.id);
    if (pending === undefined) return;
    pending.answers++;
    if (m.held || pending.answers >= pending.expected) pending.done();
  }

  /** Stop waiting (the module unloads). */
  clear(): void {
    for (const p of [...this.#pending.values()]) p.done();
  }
}
