"""A real Redis Cluster on loopback for the integration tests (conftest.py: `redis_cluster`,
`redis_cluster_factory`).

Six (by default) `redis-server --cluster-enabled yes`, each a jubao_testlib.RedisServer (so
deploy/redis.conf's settings: AOF with appendfsync always, noeviction) in its own directory on a
spare port, with a spare cluster-bus port of its own (the default, port + 10000, may be taken or
past 65535). `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes` joins them; the
cluster is ready when every node says cluster_state:ok, knows every node and sees all 16384
slots. A short cluster-node-timeout (NODE_TIMEOUT_MS) makes a failover take seconds.

    c = RedisCluster(tmpdir)       c.seeds           "127.0.0.1:p1,...": a JUBAO_REDIS value
                                   c.addr            the same: Gateway and Worker take a cluster
                                                     where they take a RedisServer
    c.client()                     a client for any key (redis-py's RedisCluster: each command
                                   to its slot's primary; keys() and scan_iter() over every
                                   primary), so that the RedisServer helpers of the tests
                                   (jubao_testlib.ShardedKeys: case(), report(), ...) work here
    c.flush()                      FLUSHALL on every primary (a fresh cluster for the next test)
    c.primaries()                  c.replicas_of(p)  c.primary_of(node)
    c.node_for_slot(slot)          c.node_for_key(key)               c.keyslot(key)
    c.kill_primary(p)              SIGKILL, wait until a replica took its slots; the new primary
    c.reshard(src, dst, n)         move n slots (with their keys) with redis-cli --cluster reshard
    c.wait_ok()                    c.close()
"""

import subprocess

import redis as redislib

from jubao_testlib import RedisServer, ShardedKeys, spare_port, wait_until

SLOTS = 16384
# Long enough not to fail a node that a loaded 2-core machine makes answer slowly, short
# enough that a failover takes a few seconds rather than the default's 15+.
NODE_TIMEOUT_MS = 3000


def _cli(*args, timeout=120):
    """redis-cli with args; its output. An exit status or an [ERR] line fails the test."""
    r = subprocess.run(["redis-cli"] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0 or "[ERR]" in r.stdout:
        raise AssertionError("redis-cli %s failed (%d):\n%s\n%s"
                             % (" ".join(map(str, args[:3])), r.returncode, r.stdout[-3000:],
                                r.stderr[-2000:]))
    return r.stdout


class ClusterClient(redislib.RedisCluster):
    """redis-py's cluster client, whose KEYS (sent to one node) goes to every primary."""

    def keys(self, pattern="*", **kw):
        return list(self.scan_iter(match=pattern, count=1000))


class RedisCluster(ShardedKeys):
    """primaries x (1 + replicas) cluster nodes, joined and ready; close() kills them all."""

    def __init__(self, workdir, primaries=3, replicas=1, node_timeout_ms=NODE_TIMEOUT_MS,
                 timeout=60):
        self.dir = workdir
        self.node_timeout_ms = node_timeout_ms
        self.nodes = []
        self._clients = {}
        try:
            for i in range(primaries * (1 + replicas)):
                self.nodes.append(self._start_node(i))
            _cli("--cluster", "create", *[n.addr for n in self.nodes],
                 "--cluster-replicas", replicas, "--cluster-yes")
            self.wait_ok(timeout)
        except BaseException:
            self.close()
            raise

    def _start_node(self, i):
        taken = {p for n in self.nodes for p in (n.port, n.bus_port)}
        for attempt in range(3):
            bus = spare_port()
            if bus in taken:
                continue
            try:
                node = RedisServer(self.dir / ("node%d-%d" % (i, attempt)), args=[
                    "--cluster-enabled", "yes", "--cluster-port", str(bus),
                    "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", str(self.node_timeout_ms)])
            except AssertionError:
                if attempt == 2:
                    raise
                continue  # the bus port was taken meanwhile
            node.bus_port = bus
            return node
        raise AssertionError("no spare ports for cluster node %d" % i)

    @property
    def seeds(self):
        return ",".join(n.addr for n in self.nodes)

    @property
    def addr(self):
        return self.seeds

    def client(self, decode_responses=True, **kw):
        # one per kind, kept: a new one reads the slot map first (tens of ms), and the tests'
        # helpers ask for a client per key they read; it follows MOVED after a failover
        k = (decode_responses, tuple(sorted(kw.items())))
        if k not in self._clients:
            n = self.alive()[0]
            self._clients[k] = ClusterClient(host="127.0.0.1", port=n.port,
                                             decode_responses=decode_responses, **kw)
        return self._clients[k]

    def flush(self):
        for p in self.primaries():
            p.client().flushall()

    def alive(self):
        return [n for n in self.nodes if n.alive()]

    def close(self):
        for c in self._clients.values():
            c.close()
        for n in self.nodes:
            n.close()

    # ---- state ----

    def _ready(self, n):
        try:
            c = n.client(socket_timeout=2)
            info = c.execute_command("CLUSTER INFO")
            repl = c.info("replication")
        except redislib.exceptions.RedisError:
            return False
        # a replica that never synchronized refuses to fail over (cluster-replica-validity-
        # factor): not ready until its link to the primary is up
        return ((repl["role"] == "master" or repl.get("master_link_status") == "up")
                and info.get("cluster_state") == "ok"
                and int(info.get("cluster_slots_assigned", 0)) == SLOTS
                and int(info.get("cluster_slots_fail", 1)) == 0
                and int(info.get("cluster_known_nodes", 0)) == len(self.nodes))

    def wait_ok(self, timeout=60):
        """Until every live node says cluster_state:ok with all slots served and no slot in a
        failed state, every replica is linked to its primary, and redis-cli finds the nodes
        agree on the slots."""
        wait_until(lambda: all(self._ready(n) for n in self.alive()), timeout, interval=0.2,
                   what="cluster_state:ok on every node")
        wait_until(self._consistent, timeout, interval=0.5, what="the nodes agree on the slots")

    def _consistent(self):
        try:
            _cli("--cluster", "check", self.alive()[0].addr, timeout=30)
            return True
        except AssertionError:
            return False

    def role(self, node):
        """["master", ...] or ["slave", host, port, state, offset] (ROLE)."""
        return node.client(socket_timeout=2).execute_command("ROLE")

    def node_id(self, node):
        return node.client().execute_command("CLUSTER MYID")

    def node_by_port(self, port):
        for n in self.nodes:
            if n.port == int(port):
                return n
        raise AssertionError("no cluster node on port %s" % port)

    def slots(self):
        """[(start, end, primary node, [replica nodes])] as a live node sees them."""
        out = []
        for r in self.alive()[0].client().execute_command("CLUSTER SLOTS"):
            start, end, primary, *replicas = r
            out.append((int(start), int(end), self.node_by_port(primary[1]),
                        [self.node_by_port(x[1]) for x in replicas]))
        return sorted(out, key=lambda x: x[0])

    def slot_counts(self):
        """{primary node: number of slots it serves}."""
        counts = {}
        for start, end, p, _ in self.slots():
            counts[p] = counts.get(p, 0) + end - start + 1
        return counts

    def primaries(self):
        """The live nodes that serve slots, in port order."""
        return sorted(self.slot_counts(), key=lambda n: n.port)

    def replicas_of(self, primary):
        return [n for n in self.alive()
                if self.role(n)[0] == "slave" and int(self.role(n)[2]) == primary.port]

    def primary_of(self, node):
        role = self.role(node)
        return node if role[0] == "master" else self.node_by_port(role[2])

    def keyslot(self, key):
        return int(self.alive()[0].client().execute_command("CLUSTER KEYSLOT", key))

    def node_for_slot(self, slot):
        for start, end, p, _ in self.slots():
            if start <= slot <= end:
                return p
        raise AssertionError("slot %d has no node" % slot)

    def node_for_key(self, key):
        return self.node_for_slot(self.keyslot(key))

    # ---- faults and changes ----

    def kill_primary(self, primary, timeout=60):
        """SIGKILL a primary, wait until one of its replicas serves its slots and the cluster is
        ok again; returns the new primary."""
        slots = [(s, e) for s, e, p, _ in self.slots() if p is primary]
        replicas = self.replicas_of(primary)
        assert slots and replicas, "port %d is no primary with a replica" % primary.port
        primary.kill()

        def promoted():
            for n in replicas:
                try:
                    if self.role(n)[0] == "master":
                        return n
                except redislib.exceptions.RedisError:
                    pass
            return None
        new = wait_until(promoted, timeout, interval=0.2, what="a replica of the killed primary "
                         "to take over")
        wait_until(lambda: all(self._serves(n, new, slots) for n in self.alive()), timeout,
                   interval=0.2, what="every node to see the new primary")
        wait_until(lambda: all(self._state_ok(n) for n in self.alive()), timeout,
                   interval=0.2, what="cluster_state:ok after the failover")
        return new

    def _serves(self, via, node, ranges):
        try:
            got = via.client(socket_timeout=2).execute_command("CLUSTER SLOTS")
        except redislib.exceptions.RedisError:
            return False
        mine = {(int(r[0]), int(r[1])) for r in got if int(r[2][1]) == node.port}
        return all(any(a <= s and e <= b for a, b in mine) for s, e in ranges)

    def _state_ok(self, n):
        try:
            return n.client(socket_timeout=2).execute_command("CLUSTER INFO")["cluster_state"] \
                == "ok"
        except redislib.exceptions.RedisError:
            return False

    def reshard(self, source, target, nslots, timeout=120):
        """Moves nslots slots, with their keys, from primary source to primary target
        (redis-cli --cluster reshard, non-interactive), and waits until the nodes agree."""
        _cli("--cluster", "reshard", source.addr, "--cluster-from", self.node_id(source),
             "--cluster-to", self.node_id(target), "--cluster-slots", nslots, "--cluster-yes",
             timeout=timeout)
        wait_until(self._consistent, timeout, interval=0.5, what="the nodes agree after reshard")
