/** runScansion end to end: a passing script over both transports, and failures that say where and why. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runScansion, ScansionFailure, ScansionSyntaxError } from '../../lib/testing/index.js';

const HEADER = `# test
[Client] Romeo
	jid: romeo@localhost/garden

Romeo connects
`;

const rejectsWith = async (p: Promise<unknown>, check: (err: ScansionFailure) => void): Promise<void> => {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ScansionFailure, String(err));
    check(err);
    return true;
  });
};

describe('runScansion', () => {
  for (const transport of ['tcp', 'websocket'] as const) {
    it(`runs a script over ${transport} and reports its steps`, async () => {
      const r = await runScansion(`${HEADER}Romeo sends:\n\t<iq type="get" id="1" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>\n`
        + 'Romeo receives:\n\t<iq type="result" id="1" from="localhost" to="${Romeo\'s full JID}"/>\nRomeo disconnects\n', { transport });
      assert.equal(r.steps, 4);
      assert.equal(r.transport, transport);
    });
  }

  it('fails a mismatching stanza with the step, the line, the reason and both stanzas', async () => {
    const script = `${HEADER}Romeo sends:\n\t<iq type="get" id="1" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>\n`
      + 'Romeo receives:\n\t<iq type="error" id="1" from="localhost" to="${Romeo\'s full JID}"/>\n';
    await rejectsWith(runScansion(script, { source: 'ping.scs' }), (err) => {
      assert.equal(err.line, 8);
      assert.equal(err.step, 3);
      assert.equal(err.source, 'ping.scs');
      assert.match(err.message, /^ping\.scs:8: step 3 \(Romeo receives:\) failed over tcp: mismatch at \/iq: attribute 'type': expected 'error', got 'result'/);
      assert.match(err.expected!, /<iq type="error" id="1" from="localhost" to="romeo@localhost\/garden"/);
      assert.match(err.received!, /<iq type="result"/);
    });
  });

  it('fails "receives: nothing" when something arrives, showing it', async () => {
    const script = `${HEADER}Romeo sends:\n\t<presence/>\nRomeo receives: nothing\n`;
    await rejectsWith(runScansion(script, { transport: 'websocket' }), (err) => {
      assert.equal(err.line, 8);
      assert.match(err.message, /failed over websocket: expected nothing, received:\n {4}<presence [^\n]*from="romeo@localhost\/garden"/);
    });
  });

  it('fails when the expected stanza never comes, naming what it waited for', async () => {
    await rejectsWith(runScansion(`${HEADER}Romeo receives:\n\t<message><body>never</body></message>\n`, { timeoutMs: 300 }), (err) => {
      assert.match(err.message, /nothing arrived within 300 ms while expecting:\n {4}<message/);
    });
  });

  it('fails a login that cannot happen at the connects step', async () => {
    const script = '[Client] Romeo\n\tjid: romeo@localhost/garden\n\tmechanism: PLAIN\n\nRomeo connects\n';
    await rejectsWith(runScansion(script, { config: { sasl_mechanisms: ['SCRAM-SHA-1'] } }), (err) => {
      assert.equal(err.line, 5);
      assert.match(err.message, /could not connect: romeo@localhost\/garden: no usable SASL mechanism \(offered: SCRAM-SHA-1; wanted PLAIN\)/);
    });
  });

  it('logs in with each mechanism the client speaks', async () => {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256']) {
      const script = `[Client] Romeo\n\tjid: romeo@localhost\n\tpassword: pässwörd\n\tmechanism: ${mechanism}\n\nRomeo connects\nRomeo disconnects\n`;
      assert.equal((await runScansion(script)).steps, 2, mechanism);
    }
  });

  it('fails an unknown variable at its step', async () => {
    await rejectsWith(runScansion(`${HEADER}Romeo sends:\n\t<message to="\${Mercutio's JID}"/>\n`), (err) => {
      assert.match(err.message, /\$\{Mercutio's JID\}: no \[Client\] named 'Mercutio'/);
    });
  });

  it('says so when a script path does not exist', async () => {
    await assert.rejects(runScansion('spec/scansion/no-such-script.scs'), /no script file spec\/scansion\/no-such-script\.scs/);
  });

  it('rejects a script that does not parse before starting anything', async () => {
    await assert.rejects(runScansion('[Client] A\n\tjid: a@localhost\nB connects\n'), ScansionSyntaxError);
  });
});
