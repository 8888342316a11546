/**
 * @module xmpp-server-core/testing
 * Conversation tests in scansion's format (the script format of Prosody's community), run
 * against an in-process server over TCP or WebSocket.
 *
 * A script:
 * ```
 * # Romeo pings the server
 * # modules: motd
 * # config: {"motd_text": "hi"}
 *
 * [Client] Romeo
 * 	jid: romeo@localhost/garden
 * 	password: password
 *
 * ---------
 *
 * Romeo connects
 *
 * Romeo sends:
 * 	<iq type="get" id="p1" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>
 *
 * Romeo receives:
 * 	<iq type="result" id="p1" from="localhost" to="${Romeo's full JID}"/>
 *
 * Romeo disconnects
 * ```
 * - Header: the first `#` line is the title; `# modules: a, b` enables modules on top of the
 *   defaults and `# config: {json}` merges options into the config (this runner's extensions;
 *   `VirtualHost` entries merge per host). `##` lines are comments anywhere.
 * - `[Client] Name` with `jid:` (a resource in it is bound; otherwise the server picks one),
 *   `password:` (default 'password') and optional `mechanism:` (PLAIN, SCRAM-SHA-1,
 *   SCRAM-SHA-256). Each client's account is created before the run.
 * - Steps: `Name connects` (authenticate and bind; no initial presence), `Name sends:`,
 *   `Name receives:` (one or more stanzas, in any order), `Name receives: nothing` (after a
 *   round trip with the server on every connected client and `nothingWaitMs`), `Name disconnects`.
 * - Variables: `${Name's full JID}`, `${Name's JID}`, `${Name's resource}`.
 * - Matching (see matcher.ts): attributes exact (extra received attributes fail;
 *   `{scansion:any}` matches any value or text), extra received children ignored unless the
 *   element is strict: payload namespaces (anything but `jabber:client`) are strict by
 *   default, `scansion:strict="true|false"` overrides.
 *
 * @example
 * import { runScansion } from 'xmpp-server-core/testing';
 * await runScansion('spec/ping.scs', { transport: 'websocket', modules: [myModule] });
 */
export { runScansion, ScansionFailure } from './runner.js';
export type { ScansionOptions, ScansionResult, ScansionTransport } from './runner.js';
export { parseScansion } from './parser.js';
export { ScansionSyntaxError } from './script.js';
export type { ScansionScript, ClientSpec, Step } from './script.js';
export { matchStanza, explainMismatch, isStrict } from './matcher.js';
export type { Mismatch } from './matcher.js';
export { parseXmlBlock, ANY, NS_SCANSION } from './xml-block.js';
export { prettyXml } from './pretty.js';
export { ScriptedClient } from './client.js';
export type { ScriptedClientOptions, ClientEndpoint } from './client.js';
export { startScansionServer, SCANSION_DEFAULTS } from './server.js';
export type { ScansionServer, ScansionServerOptions } from './server.js';
