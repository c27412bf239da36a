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

At teardown every gateway gets SIGTERM; the test fails if the process died before teardown or
if its log holds a sanitizer report (AddressSanitizer, runtime error:, LeakSanitizer).
"""

import pytest

from jubao_testlib import ADMIN_BIN, GATEWAY_BIN, WORKER_BIN, Gateway, RedisServer, Worker
from redis_cluster import RedisCluster


def pytest_configure(config):
    for b in (GATEWAY_BIN, ADMIN_BIN, WORKER_BIN):
        if not b.exists():
            raise pytest.UsageError("%s is missing: run make (or set JUBAO_BUILD)" % b)


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    r = RedisServer(tmp_path_factory.mktemp("redis"))
    yield r
    r.close()


@pytest.fixture
def redis_factory(tmp_path_factory):
    made = []

    def make():
        r = RedisServer(tmp_path_factory.mktemp("redis"))
        made.append(r)
        return r
    yield make
    for r in made:
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
