/**
 * Tests for lib/modules/cluster/heartbeat: a node killed with SIGKILL (a child process: no
 * unbind, no goodbye) misses its heartbeat; within cluster_node_timeout one surviving node
 * removes its sessions and their contacts on other nodes get unavailable presence, once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '../../../lib/core/xml.js';
import { redisAvailable } from '../../helpers/engines.js';
import { befriend, startCluster, until, type ClusterNodeHandle, type TestCluster } from '../../helpers/cluster.js';
import { startNodeProcess, type NodeProcess } from '../../helpers/cluster-process.js';
import { rawClient, is } from '../../helpers/im-clients.js';
import { PASSWORD } from '../../helpers/im-server.js';

const skip = redisAvailable();
const TIMEOUT = 1.2;

describe('cluster: a node that dies', { skip }, () => {
  let cluster: TestCluster;
  let n1: ClusterNodeHandle;
  let n2: ClusterNodeHandle;
  let doomed: NodeProcess;

  before(async () => {
    cluster = await startCluster(TIMEOUT);
    n1 = await cluster.node('n1');
    cluster.users(n1.server, ['alice', 'bob', 'carol']);
    befriend(n1.server, 'alice', 'bob');
    befriend(n1.server, 'carol', 'bob');
    n2 = await cluster.node('n2');
    doomed = await startNodeProcess({ ...cluster.config('doomed'), log_level: 'error' });
  });
  after(async () => {
    await doomed.kill();
    await cluster.stop();
  });

  it('tells contacts on the surviving nodes that its users are unavailable, within the timeout', async () => {
    const b1 = await n1.raw('bob', 'one');
    const b2 = await n2.raw('bob', 'two');
    await b1.send(xml('presence'));
    await b2.send(xml('presence'));
    const a = await rawClient(doomed.port, 'alice', PASSWORD, 'doomed');
    const c = await rawClient(doomed.port, 'carol', PASSWORD, 'doomed');
    await a.send(xml('presence', {}, xml('status', {}, 'here')));
    await c.send(xml('presence'));
    await b1.next(is.presence(a.jid), "alice's presence on n1");
    await b2.next(is.presence(a.jid), "alice's presence on n2");
    await b2.next(is.presence(c.jid), "carol's presence on n2");
    // the registry learns of a presence change just after its broadcast went out
    const known = (jid: string) => [n1, n2].every((n) => n.server.sessions.get(jid)?.presence !== undefined);
    await until(() => known(a.jid) && known(c.jid), 'the doomed node\'s sessions and their presence known');

    const killedAt = Date.now();
    await doomed.kill();
    const gone = await b1.next(is.presence(a.jid, 'unavailable'), "alice's unavailable presence on n1", 5000);
    await b2.next(is.presence(a.jid, 'unavailable'), "alice's unavailable presence on n2", 5000);
    await b2.next(is.presence(c.jid, 'unavailable'), "carol's unavailable presence on n2", 5000);
    const took = Date.now() - killedAt;
    assert.ok(took <= TIMEOUT * 1000 * 2 + 500, `noticed after ${took} ms (timeout ${TIMEOUT} s, checked every third of it)`);
    assert.match(gone.getChildText('status') ?? '', /doomed/);
    for (const n of [n1, n2]) {
      assert.equal(n.server.sessions.get(a.jid), undefined);
      assert.equal(n.server.sessions.countOf('localhost', 'carol'), 0);
    }
    // one node reaped it: each contact got the unavailable presence once
    await new Promise((r) => setTimeout(r, TIMEOUT * 1000));
    assert.equal(b1.received.filter((el) => el.name === 'presence' && el.attrs.from === a.jid && el.attrs.type === 'unavailable').length, 1);
    assert.equal(b2.received.filter((el) => el.name === 'presence' && el.attrs.from === a.jid && el.attrs.type === 'unavailable').length, 1);
    // and messages to alice now go to offline storage, not to the dead node
    await b1.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('body', {}, 'later')));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(b1.has((el) => el.name === 'message' && el.attrs.type === 'error'), false);
    await a.stop().catch(() => undefined);
    await c.stop().catch(() => undefined);
  });
});
