/**
 * Tests for lib/modules/cluster/options and start-up: the missing Redis URL, a node name a
 * live node holds, an unreachable Redis: each refuses the start with an error that says why.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isServerError } from '../../../lib/core/errors.js';
import { redisAvailable } from '../../helpers/engines.js';
import { freePort } from '../../helpers/proxies.js';
import { startCluster, type TestCluster } from '../../helpers/cluster.js';
import { startTestServer } from '../../helpers/server.js';

const skip = redisAvailable();

describe('cluster: configuration errors', { skip }, () => {
  let cluster: TestCluster;
  before(async () => { cluster = await startCluster(); });
  after(() => cluster.stop());

  it('refuses to start without cluster_redis_url, naming the option', async () => {
    await assert.rejects(startTestServer(cluster.config('x', { cluster_redis_url: undefined })), (err: Error) => {
      assert.ok(isServerError(err) && err.code === 'XS_ERR_OPTION_INVALID', err.message);
      assert.match(err.message, /cluster_redis_url/);
      assert.match(err.message, /required/);
      return true;
    });
  });

  it('refuses a second live node with the same name', async () => {
    const first = await cluster.node('twin');
    await assert.rejects(startTestServer(cluster.config('twin')), (err: Error) => {
      assert.ok(isServerError(err) && err.code === 'XS_ERR_MODULE_LOAD', err.message);
      assert.match(err.message, /cluster_node_name 'twin' is in use by a live node/);
      return true;
    });
    assert.equal(first.server.state, 'started', 'the first node is not disturbed');
    await first.stop();
    // stopped cleanly, the name is free at once
    const again = await cluster.node('twin');
    await again.stop();
  });

  it('refuses to start when Redis cannot be reached', async () => {
    const port = await freePort();
    await assert.rejects(startTestServer(cluster.config('lonely', { cluster_redis_url: `redis://127.0.0.1:${port}` })), (err: Error) => {
      assert.ok(isServerError(err) && err.code === 'XS_ERR_MODULE_LOAD', err.message);
      return true;
    });
  });

  it('refuses an invalid node name', async () => {
    await assert.rejects(startTestServer(cluster.config('no spaces')), /cluster_node_name/);
  });
});
