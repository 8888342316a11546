/**
 * Helpers for the Prosody migration test: a real Prosody (Debian's package) run from a temp
 * folder, @xmpp/client connections to it, and a raw client for our server that logs in with
 * a chosen SASL mechanism (PLAIN or SCRAM-SHA-1, computed here from RFC 5802) on any domain.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Parser } from '@xmpp/xml';
import { xml, serialize, type Element } from '../../lib/core/xml.js';
import { digest, hi, hmac, xorBuffers } from '../../lib/core/scram.js';
import { findExecutable } from '../helpers/proxies.js';

/** Run prosodyctl with a config; throws with its output on failure. */
export function prosodyctl(config: string, ...args: string[]): void {
  const bin = findExecutable('prosodyctl', 'apt-get install prosody');
  const r = spawnSync(bin, ['--config', config, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`prosodyctl ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
}

/** Wait until something accepts connections on 127.0.0.1:port (the child must still run). */
async function waitForPort(port: number, child: ChildProcess, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prosody exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prosody did not listen on ${port} within ${ms} ms`);
}

/** Start Prosody in the foreground; resolves once its c2s port accepts connections. */
export async function startProsody(config: string, port: number): Promise<{ stop(): Promise<void>; output(): string }> {
  const bin = findExecutable('prosody', 'apt-get install prosody');
  const child = spawn(bin, ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => { text += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { text += d.toString(); });
  try {
    await waitForPort(port, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${text}`, { cause: err });
  }
  return {
    output: () => text,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The parts of @xmpp/client used here. */
export interface XmppJs {
  on(event: 'stanza', fn: (el: Element) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  start(): Promise<unknown>;
  stop(): Promise<void>;
  send(el: Element): Promise<void>;
  iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
  reconnect: { stop(): void };
}

/** @xmpp/client connected to 127.0.0.1:port for user@domain, with a stanza inbox. */
export async function xmppJs(
  port: number, domain: string, username: string, password: string,
): Promise<{ c: XmppJs; next(pred: (el: Element) => boolean, what: string): Promise<Element> }> {
  const specifier = '@xmpp/client';
  const lib = (await import(specifier)) as { client(o: Record<string, unknown>): XmppJs };
  const c = lib.client({ service: `xmpp://127.0.0.1:${port}`, domain, username, password, resource: 'test' });
  c.reconnect.stop();
  const inbox = new Inbox();
  c.on('stanza', (el) => { if (process.env.XS_DEBUG_PROSODY) process.stderr.write(`[${username}] ${String(el)}\n`); inbox.push(el); });
  c.on('error', () => undefined);
  await c.start();
  return { c, next: (pred, what) => inbox.next(pred, what) };
}

class Inbox {
  #pending: Element[] = [];
  #waiters: { pred: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];
  push(el: Element): void {
    const i = this.#waiters.findIndex((w) => w.pred(el));
    if (i === -1) this.#pending.push(el);
    else this.#waiters.splice(i, 1)[0]!.resolve(el);
  }
  next(pred: (el: Element) => boolean, what: string, ms = 10_000): Promise<Element> {
    const i = this.#pending.findIndex(pred);
    if (i !== -1) return Promise.resolve(this.#pending.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (el: Element) => { clearTimeout(t); resolve(el); } };
      const t = setTimeout(() => { this.#waiters = this.#waiters.filter((x) => x !== w); reject(new Error(`timed out waiting for ${what}`)); }, ms);
      this.#waiters.push(w);
    });
  }
}

/** A client of our server after SASL and resource binding. */
export interface LoggedIn {
  readonly mechanisms: string[];
  send(el: Element): void;
  iq(el: Element): Promise<Element>;
  next(pred: (el: Element) => boolean, what: string): Promise<Element>;
  close(): Promise<void>;
}

/** Why a login failed: the SASL failure condition. */
export class SaslFailure extends Error {
  constructor(readonly condition: string) { super(`SASL failure: ${condition}`); }
}

/** Log in over a raw TCP stream with `mechanism`, then bind a resource. */
export async function login(port: number, domain: string, user: string, password: string, mechanism: 'PLAIN' | 'SCRAM-SHA-1'): Promise<LoggedIn> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const inbox = new Inbox();
  let parser!: Parser;
  const reset = (): void => {
    parser = new Parser();
    parser.on('element', (el: Element) => inbox.push(el));
    parser.on('error', () => socket.destroy());
  };
  reset();
  socket.on('data', (d: Buffer) => parser.write(d.toString('utf8')));
  socket.on('error', () => undefined);
  const write = (s: string | Element): void => { socket.write(typeof s === 'string' ? s : serialize(s)); };
  const open = (): Promise<Element> => {
    write(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}' version='1.0'>`);
    return inbox.next((el) => el.name === 'stream:features', 'stream features');
  };
  const close = async (): Promise<void> => {
    if (socket.destroyed) return;
    write('</stream:stream>');
    socket.end();
    socket.destroy();
  };
  const features = await open();
  const mechanisms = features.getChild('mechanisms')?.getChildren('mechanism').map((m) => m.getText()) ?? [];
  const NS = 'urn:ietf:params:xml:ns:xmpp-sasl';
  const outcome = (): Promise<Element> => inbox.next((el) => ['success', 'failure', 'challenge'].includes(el.name), 'SASL reply');
  let reply: Element;
  if (mechanism === 'PLAIN') {
    write(`<auth xmlns='${NS}' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${password}`).toString('base64')}</auth>`);
    reply = await outcome();
  } else {
    const nonce = randomBytes(12).toString('base64');
    const first = `n=${user},r=${nonce}`;
    write(`<auth xmlns='${NS}' mechanism='SCRAM-SHA-1'>${Buffer.from(`n,,${first}`).toString('base64')}</auth>`);
    reply = await outcome();
    if (reply.name === 'challenge') {
      const serverFirst = Buffer.from(reply.getText(), 'base64').toString();
      const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
      const salted = hi('SHA-1', password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i));
      const clientKey = hmac('SHA-1', salted, 'Client Key');
      const finalNoProof = `c=biws,r=${attrs.r}`;
      const authMessage = `${first},${serverFirst},${finalNoProof}`;
      const proof = xorBuffers(clientKey, hmac('SHA-1', digest('SHA-1', clientKey), authMessage)).toString('base64');
      write(`<response xmlns='${NS}'>${Buffer.from(`${finalNoProof},p=${proof}`).toString('base64')}</response>`);
      reply = await outcome();
    }
  }
  if (reply.name !== 'success') {
    await close();
    throw new SaslFailure(reply.getChildElements()[0]?.name ?? reply.name);
  }
  reset();
  await open();
  let ids = 0;
  const iq = async (el: Element): Promise<Element> => {
    const id = `q${++ids}`;
    el.attrs.id = id;
    write(el);
    return inbox.next((r) => r.name === 'iq' && r.attrs.id === id, `reply to iq ${id}`);
  };
  const bound = await iq(xml('iq', { type: 'set' }, xml('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' }, xml('resource', {}, 'imported'))));
  if (bound.attrs.type !== 'result') throw new Error('bind failed');
  return { mechanisms, send: write, iq, next: (pred, what) => inbox.next(pred, what), close };
}
