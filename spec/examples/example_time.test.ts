/**
 * Tests for examples/modules/example_time.ts the way a module author writes them: its scansion script
 * (examples/modules/example_time.scs) run by `xmpp-server-core/testing` over WebSocket and TCP, with
 * the module definition handed to the runner.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runScansion, ScansionFailure } from 'xmpp-server-core/testing';
import time from '../../examples/modules/example_time.js';

// The script is not compiled: read it next to the module's source.
const script = join(import.meta.dirname, '..', '..', '..', 'examples', 'modules', 'example_time.scs');

describe('examples/modules/example_time', () => {
  for (const transport of ['websocket', 'tcp'] as const) {
    it(`passes its scansion script over ${transport}`, async () => {
      const result = await runScansion(script, { transport, modules: [time] });
      assert.equal(result.steps, result.script.steps.length);
      assert.equal(result.script.title, 'The example_time module answers Entity Time requests and says so in disco (XEP-0202)');
    });
  }

  it('fails the script without the module: the request is not answered with a time', async () => {
    await assert.rejects(runScansion(script), (err: unknown) => {
      assert.ok(err instanceof ScansionFailure);
      assert.match(err.message, /example_time\.scs:18: step 3 \(Romeo receives:\) failed over tcp: mismatch at \/iq: attribute 'type': expected 'result', got 'error'/);
      return true;
    });
  });
});
