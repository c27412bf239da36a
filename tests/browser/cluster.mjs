// A real Redis Cluster for the browser tests, when JUBAO_TEST_REDIS=cluster (make
// browser-cluster): six redis-server --cluster-enabled yes on spare loopback ports, joined by
// redis-cli --cluster create with a replica each, as tests/integration/redis_cluster.py makes
// them for the integration suite. The harness (harness.mjs, Stack) gives the gateway, the
// worker and jubao-admin the nodes as their seed list; everything else is the same.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const CLUSTER_NODES = 6;
const NODE_TIMEOUT_MS = 2000;
const SLOTS = 16384;

/** Whether the tests run on a cluster (JUBAO_TEST_REDIS=cluster) instead of one Redis. */
export function onCluster() {
  return process.env.JUBAO_TEST_REDIS === 'cluster';
}

/** Starts the nodes in dir (each a Proc made by deps.startNode(args, nodeDir), which resolves
 *  once that server answers), joins them and waits until every node says cluster_state:ok
 *  with every slot served. Resolves with the seed list "127.0.0.1:p1,127.0.0.1:p2,...". */
export async function startCluster(dir, { sparePort, startNode, redisCommand, waitUntil }) {
  const ports = [];
  for (let i = 0; i < CLUSTER_NODES; i++) {
    const nodeDir = path.join(dir, `node-${i}`);
    fs.mkdirSync(nodeDir, { recursive: true });
    const bus = await sparePort();
    ports.push(await startNode(['--cluster-enabled', 'yes', '--cluster-port', String(bus),
                                '--cluster-config-file', 'nodes.conf',
                                '--cluster-node-timeout', String(NODE_TIMEOUT_MS)], nodeDir));
  }
  const addrs = ports.map((p) => `127.0.0.1:${p}`);
  const r = spawnSync('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '1',
                                    '--cluster-yes'], { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) {
    throw new Error(`redis-cli --cluster create failed (${r.status}):\n${r.stdout}${r.stderr}`);
  }
  await waitUntil(async () => {
    for (const port of ports) {
      const info = await redisCommand(port, ['CLUSTER', 'INFO']).catch(() => '');
      if (!/cluster_state:ok/.test(info) || !info.includes(`cluster_slots_assigned:${SLOTS}`) ||
          !info.includes(`cluster_known_nodes:${CLUSTER_NODES}`)) return false;
    }
    return true;
  }, { timeout: 30000, what: 'cluster_state:ok on every node' });
  return addrs.join(',');
}
