"""Fixtures of the black-box integration suite (see jubao_testlib.py for the classes).

  redis            a private redis-server for the whole test module (.port, .client(), .kill(),
                   .restart(), .stop_process()/.continue_process() for SIGSTOP/SIGCONT)
  redis_factory    redis_factory() -> a fresh private redis-server for one test
  gateway          gateway(env=None, config=None, redis=None, args=(), wait_ready=True,
                   data_from=None) -> a jubao-gateway with its own data dir (a copy of
                   data_from's files, if given; jubao-admin init done), rate limits off
                   unless env={"JUBAO_RATE_LIMIT": None}; checked and stopped at teardown
  module_gateway   the same factory as gateway, for gateways shared by a test module
  gw               one default gateway shared by a test module (on the module's redis)
  worker           worker(g, config=<g's config>, env=None, args=(), wait_started=True) -> a
                   jubao-worker on gateway g's redis and data dir, with g's configuration text
                   unless config= is given; checked and stopped (SIGTERM, exit 0) at teardown
  redis_cluster    a Redis Cluster of 3 primaries with a replica each for the whole test module
                   (redis_cluster.py: .seeds, .primaries(), .replicas_of(), .kill_primary(),
                   .reshard(), ...)
  redis_cluster_factory  redis_cluster_factory(primaries=3, replicas=1) -> a fresh cluster for
                   one test (use it when a test kills a node or moves slots)

With JUBAO_TEST_REDIS=cluster (make integration-cluster) `redis` and `redis_factory` give a
real test cluster (redis_cluster.RedisCluster: the same addr, client(), case(), report(), ...)
instead: one per module, emptied (FLUSHALL) for each test that asks redis_factory for a fresh
Redis (a second one in the same test is a cluster of its own). A test that cannot mean anything
there (it kills or restarts the one Redis, reads its AOF, sets its memory limit) is marked
@pytest.mark.single_redis("why") and skipped with that reason.

At teardown every gateway gets SIGTERM; the test fails if the process died before teardown or
if its log holds a sanitizer report (AddressSanitizer, runtime error:, LeakSanitizer).
"""

import os

import pytest

from jubao_testlib import ADMIN_BIN, GATEWAY_BIN, WORKER_BIN, Gateway, RedisServer, Worker
from redis_cluster import RedisCluster


ON_CLUSTER = os.environ.get("JUBAO_TEST_REDIS") == "cluster"


def pytest_configure(config):
    for b in (GATEWAY_BIN, ADMIN_BIN, WORKER_BIN):
        if not b.exists():
            raise pytest.UsageError("%s is missing: run make (or set JUBAO_BUILD)" % b)
    config.addinivalue_line("markers", "single_redis(why): means nothing on a cluster; skipped "
                                       "there (JUBAO_TEST_REDIS=cluster)")


def pytest_collection_modifyitems(config, items):
    if not ON_CLUSTER:
        return
    for item in items:
        m = item.get_closest_marker("single_redis")
        if m:
            item.add_marker(pytest.mark.skip(reason="on one Redis only: " + m.args[0]))


def _new_redis(tmp_path_factory):
    if ON_CLUSTER:
        return RedisCluster(tmp_path_factory.mktemp("cluster"))
    return RedisServer(tmp_path_factory.mktemp("redis"))


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    r = _new_redis(tmp_path_factory)
    yield r
    r.close()


@pytest.fixture(scope="module")
def _module_cluster(tmp_path_factory):
    """The cluster redis_factory hands out first in each test, started at its first use."""
    made = []

    def get():
        if not made:
            made.append(_new_redis(tmp_path_factory))
        return made[0]
    yield get
    for c in made:
        c.close()


@pytest.fixture
def redis_factory(tmp_path_factory, _module_cluster):
    made, fresh = [], []

    def make():
        if ON_CLUSTER and not made:
            r = _module_cluster()
            r.flush()
        else:
            r = _new_redis(tmp_path_factory)
            fresh.append(r)
        made.append(r)
        return r
    yield make
    for r in fresh:
        r.close()


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory):
    c = RedisCluster(tmp_path_factory.mktemp("cluster"))
    yield c
    c.close()


@pytest.fixture
def redis_cluster_factory(tmp_path_factory):
    made = []

    def make(primaries=3, replicas=1):
        c = RedisCluster(tmp_path_factory.mktemp("cluster"), primaries, replicas)
        made.append(c)
        return c
    yield make
    for c in made:
        c.close()


class _Gateways:
    def __init__(self, tmp_path_factory, default_redis):
        self.tmp = tmp_path_factory
        self.default_redis = default_redis
        self.made = []

    def __call__(self, env=None, config=None, redis=None, args=(), wait_ready=True,
                 data_from=None):
        g = Gateway(self.tmp.mktemp("gateway"), redis or self.default_redis, env=env,
                    config=config, args=args, wait_ready=wait_ready, data_from=data_from)
        self.made.append(g)
        return g

    def finish(self):
        problems = []
        for g in self.made:
            problems += g.teardown_problems()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def gateway(tmp_path_factory, redis):
    gs = _Gateways(tmp_path_factory, redis)
    yield gs
    gs.finish()


@pytest.fixture(scope="module")
def module_gateway(tmp_path_factory, redis):
    gs = _Gateways(tmp_path_factory, redis)
    yield gs
    gs.finish()


@pytest.fixture(scope="module")
def gw(module_gateway):
    return module_gateway()


class _Workers:
    def __init__(self, tmp_path_factory):
        self.tmp = tmp_path_factory
        self.made = []

    def __call__(self, g, config=None, env=None, args=(), wait_started=True):
        if config is None and g.config_path is not None:
            config = g.config_path.read_text()
        w = Worker(self.tmp.mktemp("worker"), g.redis, g.data_dir, config=config, env=env,
                   args=args, wait_started=wait_started)
        self.made.append(w)
        return w

    def finish(self):
        problems = []
        for w in self.made:
            problems += w.teardown_problems()
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def worker(tmp_path_factory, redis_factory, gateway):
    # set up after (so torn down before) the gateways and Redis servers it works with
    ws = _Workers(tmp_path_factory)
    yield ws
    ws.finish()
